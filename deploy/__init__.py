"""Running the dashboard as several processes behind nginx (README "Deployment")."""
