"""The pages, one blueprint per room: inbox, tasks, dossiers, portal, notices, admin."""
