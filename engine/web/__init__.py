"""The coach's web page and the HTTP API (`wegwijzer serve`): a thin skin over engine.api."""
