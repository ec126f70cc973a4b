"""The benchmarks' bare view answers only when the benchmark setting is on, and bench/ turns it on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def test_the_bare_view_is_not_there_without_the_benchmark_setting(settings):
    settings.PLEDGECARD_BENCH = False
    for method in ("get", "post"):
        response = getattr(Client(), method)("/bench/bare/")
        assert response.status_code == 404
        assert b"<p>ok</p>" not in response.content


@override_settings(PLEDGECARD_BENCH=True)
def test_the_bare_view_answers_with_the_benchmark_setting():
    response = Client().get("/bench/bare/")
    assert response.status_code == 200
    assert response.content == b"<!doctype html><title>ok</title><p>ok</p>"


def test_the_setting_is_read_from_the_environment_and_off_by_default():
    code = "import django; django.setup(); from django.conf import settings; print(settings.PLEDGECARD_BENCH)"
    env = {k: v for k, v in os.environ.items() if k != "PLEDGECARD_BENCH"}
    env["DJANGO_SETTINGS_MODULE"] = "pledgecard.settings"

    def setting(**extra):
        out = subprocess.run([sys.executable, "-c", code], env={**env, **extra}, capture_output=True, text=True,  # noqa: S603
                             check=True, timeout=60)
        return out.stdout.strip()

    assert setting() == "False"
    assert setting(PLEDGECARD_BENCH="1") == "True"


def test_bench_turns_the_setting_on_for_itself_and_the_product_it_starts(tmp_path):
    code = ("import os; os.environ.pop('PLEDGECARD_BENCH', None); import bench.common as c; "
            "print(os.environ['PLEDGECARD_BENCH'], c.product_env(c.Path('/tmp'))['PLEDGECARD_BENCH'])")
    env = {k: v for k, v in os.environ.items() if k != "PLEDGECARD_BENCH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                         check=True, timeout=60)
    assert out.stdout.split() == ["1", "1"]
