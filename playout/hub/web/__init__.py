"""The hub's web dashboard: server-rendered pages for the province and the districts."""
