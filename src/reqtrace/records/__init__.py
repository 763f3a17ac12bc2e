"""Records beside the requirements: emails, meetings, requests, test evidence; creating and renaming items."""
