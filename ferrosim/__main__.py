"""`python -m ferrosim` runs the command line."""

from ferrosim.entry import main

main()
