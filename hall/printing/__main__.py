"""`python -m hall.printing print-worker`: the print worker process `hall serve` starts."""

from hall.printing.worker import main

main()
