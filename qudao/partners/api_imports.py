from ninja import Router

router = Router(tags=["partner imports"])
