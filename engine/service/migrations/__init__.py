"""Moving running dossiers from one version of their procedure to another, on purpose: the plan
an owner makes (`plans`), and its runs, dry or real, dossier by dossier (`runs`)."""
