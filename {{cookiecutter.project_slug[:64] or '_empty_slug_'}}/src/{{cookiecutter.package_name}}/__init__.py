"""The {{ cookiecutter.package_name }} package: what it does is in README.md."""

__version__ = "0.1.0"
