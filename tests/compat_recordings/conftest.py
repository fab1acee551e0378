"""The recording scripts run in a TensorFlow venv, never under pytest."""

collect_ignore = ["record.py", "record_layers.py"]
