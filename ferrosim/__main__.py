"""`python -m ferrosim` runs the command line."""

from ferrosim.cli import main

main()
