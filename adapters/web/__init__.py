"""The officer's workbench: server-rendered pages and a JSON API over the Vangnet application."""
