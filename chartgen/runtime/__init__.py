"""The workflow runtime a production chart deploys: its build context, built and run here."""
