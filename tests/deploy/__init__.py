"""Checks of the deployment files: images, Compose, Helm, dashboards and alerts, docs."""
