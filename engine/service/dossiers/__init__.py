"""A dossier's life seen from the service layer: filing (drafts, who may file), starting and
advancing, reading it (visibility, search), its files and its incidents."""
