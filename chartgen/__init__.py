"""chartgen: Serverless Workflow projects + environment profiles -> Helm charts."""

__version__ = "0.1.0"
