"""The admin section's pages (user management, analytics) register here."""
