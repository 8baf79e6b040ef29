"""The people's side of the plan: the open call to organisations (a form
whose answers the organisations source reads with no mapping, and the
interest register it gives each asset)."""
