"""The demo: synthetic people and events for `make run` and the browser tests (`pledgecard demo`).

The top layer: it may import every app, and no app imports it (.importlinter)."""
