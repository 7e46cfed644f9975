"""The bench's one error: something that stops the run (a failed request, a disagreement, a failed command)."""


class BenchError(Exception):
    pass
