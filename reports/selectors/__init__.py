"""Reads behind the reports. Each figure is a database aggregate; each page costs the same number of queries
whatever the size of the acting organization's subtree (issue 6 item 6)."""
