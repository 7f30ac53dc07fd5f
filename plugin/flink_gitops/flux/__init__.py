"""Flux: the health tables compiled to CEL ``healthCheckExprs``, Flux's status evaluator, the render target."""
