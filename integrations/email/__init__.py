"""Email over SMTP: send and reply from the user's own mailbox, drafts for plan cards."""
