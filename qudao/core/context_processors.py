def csp_nonce(request):
    """This request's Content-Security-Policy nonce (qudao.core.middleware), as `csp_nonce`."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
