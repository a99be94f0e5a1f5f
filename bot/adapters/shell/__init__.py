"""The terminal chat: ``deputy shell``. Also the text backend the tests talk to."""
