"""The `qudao` command line, run in-process: createadmin, seed, pass-through and usage."""

import pytest

from qudao.accounts.models import User
from qudao.accounts.services import authenticate_identifier
from qudao.cli import main
from qudao.partners.models import Partner

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Kj8-qudao-Boss!"


def test_it_creates_an_admin_from_options(capsys):
    # when
    status = main(["createadmin", "--username", "boss", "--password", GOOD_PASSWORD, "--email", "Boss@Example.com"])
    # then: an HQ administrator who can log in with the password
    assert status == 0
    assert "Created the administrator boss." in capsys.readouterr().out
    user = User.objects.get(username="boss")
    assert (user.email, sorted(user.role_codes()), user.display_name) == ("boss@example.com", ["admin"], "boss")
    assert authenticate_identifier("boss@example.com", GOOD_PASSWORD) == user


def test_it_refuses_a_taken_username_and_a_weak_password_and_creates_nothing(capsys):
    # given
    main(["createadmin", "--username", "boss", "--password", GOOD_PASSWORD, "--email", "boss@example.com"])
    capsys.readouterr()
    # when: the same username again
    status = main(["createadmin", "--username", "boss", "--password", GOOD_PASSWORD, "--email", "b2@example.com"])
    # then
    assert status == 1
    assert "username: This username is taken." in capsys.readouterr().err
    # when: a weak password
    status = main(["createadmin", "--username", "boss2", "--password", "12345678", "--email", "b3@example.com"])
    # then
    assert status == 1
    assert "password: This password is too common." in capsys.readouterr().err
    assert list(User.objects.values_list("username", flat=True)) == ["boss"]


def test_it_refuses_to_prompt_without_input(capsys):
    status = main(["createadmin", "--username", "boss", "--no-input"])
    assert status == 1
    assert "Give --password" in capsys.readouterr().err
    assert not User.objects.exists()


def test_it_seeds_through_the_command_line(capsys):
    status = main(["seed", "--partners", "12", "--seed", "5"])
    assert status == 0
    assert Partner.objects.count() == 12
    assert "Demo logins:" in capsys.readouterr().out
    # a second run refuses: the database has partners
    assert main(["seed", "--partners", "12"]) == 1
    assert "already has partners" in capsys.readouterr().err
    assert Partner.objects.count() == 12


def test_it_passes_other_commands_through_and_explains_itself(capsys):
    assert main(["manage", "check"]) == 0
    assert "System check identified no issues" in capsys.readouterr().out
    assert main([]) == 2
    assert "usage: qudao <command>" in capsys.readouterr().out
    assert main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err
