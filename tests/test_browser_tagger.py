"""The tagger page follows a training run by itself (htmx polling), in English and Arabic."""

import pytest
from django.contrib.auth.models import Permission

from annotations import learning

from .conftest import BROWSER_MARKS, make_user
from .test_browser import wait_until

pytestmark = BROWSER_MARKS

PHASE = "document.querySelector('#training [data-phase]')?.dataset.phase"


@pytest.fixture
def editor(corpus):
    user = make_user(corpus, "edith", "editor")
    user.user_permissions.add(Permission.objects.get(codename="add_taggermodel"))
    return user


@pytest.mark.parametrize("locale", ["en-US", "ar"])
def test_the_tagger_page_shows_the_training_as_it_goes(signed_in, editor, locale):
    run = learning.new_run(["/data/train.conll"])
    progress = learning.Progress(run)
    progress(learning.TRAINING, iteration=40, iterations=150, model=7, models=7, force=True)
    page = signed_in(editor, "pw-edith", locale=locale)
    page.goto(f"{page.base_url}/tagger/")
    assert page.evaluate("document.documentElement.dir") == ("rtl" if locale == "ar" else "ltr")
    assert page.evaluate(PHASE) == "training"
    assert page.evaluate("document.querySelector('#training progress').value") == 27
    if locale == "en-US":
        assert "training: iteration 40 of 150" in page.inner_text("#training")
    # The worker moves on; the panel follows without a reload, then stops asking.
    progress(learning.RETAGGING, articles=3, retagged=1, force=True)
    wait_until(page, f"{PHASE} === 'retagging'", timeout=30)
    progress(learning.DONE, articles=3, retagged=3, force=True)
    wait_until(page, f"{PHASE} === 'done'", timeout=30)
    assert page.evaluate("document.querySelector('#training').hasAttribute('hx-trigger')") is False
    if locale == "en-US":
        assert "3 articles re-tagged" in page.inner_text("#training")
