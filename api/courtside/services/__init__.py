"""Services hold the rules; each function takes the session explicitly."""
