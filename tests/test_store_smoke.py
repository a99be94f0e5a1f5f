from sqlalchemy import text

from bot.store.database import Database


async def test_database_has_the_schema(database: Database) -> None:
    async with database.session(all_teams=True) as session:
        result = await (await session.connection()).execute(text("SELECT count(*) FROM goals"))
        assert result.scalar_one() == 0
