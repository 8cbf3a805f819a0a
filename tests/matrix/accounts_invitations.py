"""Authorization matrix rows of accepting an invitation through the API: a public endpoint (the
invited user has no password yet, so no token or session); the link alone authorises it, so every
persona gets the same answer: 200 with a valid link (each request is rolled back, so the link is
fresh for the next persona), 400 with a forged one."""

from __future__ import annotations

from tests.test_authorization_matrix import Case, expect


def targets(world) -> dict:
    from qudao.partners import services

    member, link = services.invite_member(
        partner=world.dist_js,
        actor=world.dist_admin,
        data={"username": "mx_invited", "display_name": "矩阵受邀用户", "mobile": "13600000777"},
    )
    uid, token = link.rstrip("/").split("/")[-2:]
    return {"invited_uid": uid, "invited_token": token}


API_CASES = [
    Case(
        "POST",
        "/api/v1/auth/invitations/accept",
        expect(200),
        body=lambda t: {"uid": t["invited_uid"], "token": t["invited_token"], "password": "Matrix-Invited-2026"},
    ),
    Case(
        "POST",
        "/api/v1/auth/invitations/accept",
        expect(400),
        body=lambda t: {"uid": t["invited_uid"], "token": "1-forged", "password": "Matrix-Invited-2026"},
    ),
]
