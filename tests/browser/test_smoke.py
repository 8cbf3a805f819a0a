def test_login_page_renders_in_chromium(live_server, page, db):
    page.goto(f"{live_server.url}/login/")
    assert page.title() != ""
