"""Roles, assignment, the review workflow and the per-article history, through the views."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from annotations import assignment, workflow
from annotations.models import Article, Assignment, AuditEntry, Layer, LayerLocked, Membership
from annotations.spans import add, annotator_layer

from .conftest import make_user

HX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def piece(article: Article, word: str) -> str:
    from annotations.document import document_for

    token = next(t for t in document_for(article.body).tokens if t.text == word)
    return f"{token.index}.0"


@pytest.fixture
def other(corpus) -> Article:
    """An article of the same corpus that nobody is assigned to."""
    return Article.objects.create(corpus=corpus, title="آخر", body="اشتباكات في درعا اليوم.")


# Roles and visibility -------------------------------------------------------------------


def test_annotators_see_only_assigned_articles(alice, editor, article, other):
    listed = logged_in(alice).get(reverse("article_list")).content.decode()
    assert article.title in listed and other.title not in listed
    assert logged_in(alice).get(other.get_absolute_url()).status_code == 404
    # Writing to it is refused the same way: no layer is created.
    data = {"start": piece(other, "درعا"), "end": piece(other, "درعا"), "label": "LOC"}
    data["version"] = 1
    response = logged_in(alice).post(reverse("span_create", args=[other.pk]), data, **HX)
    assert response.status_code == 404
    assert not Layer.objects.filter(article=other, kind=Layer.ANNOTATOR).exists()
    # The editor sees both.
    listed = logged_in(editor).get(reverse("article_list")).content.decode()
    assert article.title in listed and other.title in listed


def test_unassigning_takes_the_article_away_but_keeps_the_layer(alice, editor, article):
    layer = annotator_layer(article, alice)
    assignment.unassign(article, alice, editor)
    assert logged_in(alice).get(article.get_absolute_url()).status_code == 404
    assert Layer.objects.filter(pk=layer.pk).exists()
    span = add(layer, alice, 0, 4, "LOC", layer.version)
    # Its spans can no longer be changed by the former annotator either.
    url = reverse("span_delete", args=[span.pk])
    assert logged_in(alice).post(url, {"version": layer.version}, **HX).status_code == 404


def test_an_editor_opening_an_article_gets_the_review_page(editor, article, alice):
    annotator_layer(article, alice)
    html = logged_in(editor).get(article.get_absolute_url()).content.decode()
    assert "Annotators (2 / 2)" in html and reverse("adjudicate", args=[article.pk]) in html
    # …and no annotator layer of their own.
    assert not Layer.objects.filter(article=article, annotator=editor).exists()


def test_membership_puts_users_in_groups_with_permissions(editor, alice, corpus):
    assert editor.groups.filter(name="Editors").exists()
    assert alice.groups.filter(name="Annotators").exists()
    editor = type(editor).objects.get(pk=editor.pk)  # permissions are cached per instance
    assert editor.has_perm("annotations.review_corpus")
    assert not type(alice).objects.get(pk=alice.pk).has_perm("annotations.review_corpus")
    Membership.objects.get(user=alice).delete()
    assert not alice.groups.filter(name="Annotators").exists()
    assert Group.objects.filter(name="Editors").exists()


ROUTES = [
    ("get", "review", "corpus"),
    ("get", "article_history", "article"),
    ("get", "layer_detail", "layer"),
    ("post", "layer_review", "layer"),
    ("post", "article_assign", "article"),
    ("post", "auto_assign", "corpus"),
]


@pytest.mark.parametrize(("method", "name", "arg"), ROUTES)
def test_editor_views_refuse_annotators_strangers_and_anonymous(
    method, name, arg, corpus, article, alice, bob, editor, stranger
):
    layer = annotator_layer(article, bob)
    workflow.submit(layer, bob)
    args = {"corpus": [corpus.pk], "article": [article.pk], "layer": [layer.pk]}[arg]
    url = reverse(name, args=args if name != "review" else [])
    action = "unassign" if name == "article_assign" else "approve"
    data = {"action": action, "user": alice.pk}
    for user, expected in ((alice, 404), (stranger, 404)):
        response = getattr(logged_in(user), method)(url, data)
        assert response.status_code == expected, (user, url)
    anonymous = getattr(Client(), method)(url, data)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    response = getattr(logged_in(editor), method)(url, data)
    assert response.status_code in (200, 302)


def test_an_annotator_may_read_their_own_layer_but_not_a_colleagues(alice, bob, article):
    mine, theirs = annotator_layer(article, alice), annotator_layer(article, bob)
    assert logged_in(alice).get(reverse("layer_detail", args=[mine.pk])).status_code == 200
    assert logged_in(alice).get(reverse("layer_detail", args=[theirs.pk])).status_code == 404


# Assignment -----------------------------------------------------------------------------


def test_auto_assign_balances_load_and_is_idempotent(corpus, editor):
    people = [make_user(corpus, name, Membership.ANNOTATOR) for name in ("a1", "a2", "a3")]
    corpus.annotators_per_article = 2
    corpus.save()
    made = [
        Article.objects.create(corpus=corpus, title=f"t{i}", body=f"نص رقم {i}") for i in range(3)
    ]
    assert assignment.auto_assign(corpus, editor) == 6
    assert assignment.auto_assign(corpus, editor) == 0
    load = [Assignment.objects.filter(user=p).count() for p in people]
    assert sorted(load) == [2, 2, 2]
    for article in made:
        assert article.assignments.count() == 2
    assert AuditEntry.objects.filter(object_type="assignment", article=made[0]).count() == 2


def test_assign_refuses_non_annotators_and_too_many(corpus, article, alice, bob, editor):
    third = make_user(corpus, "carol", Membership.ANNOTATOR)
    with pytest.raises(assignment.AssignmentRefused, match="already has 2 annotator"):
        assignment.assign(article, third, editor)
    with pytest.raises(assignment.AssignmentRefused, match="not an annotator"):
        assignment.assign(article, editor, editor)
    # Through the view the refusal is a message, and nothing changes.
    url = reverse("article_assign", args=[article.pk])
    response = logged_in(editor).post(url, {"user": third.pk, "action": "assign"}, follow=True)
    assert "already has 2 annotator" in response.content.decode()
    assert not article.assignments.filter(user=third).exists()
    # Reassigning: take bob off, give carol the place.
    logged_in(editor).post(url, {"user": bob.pk, "action": "unassign"})
    logged_in(editor).post(url, {"user": third.pk, "action": "assign"})
    assert set(article.assignments.values_list("user__username", flat=True)) == {"alice", "carol"}
    bad = logged_in(editor).post(url, {"user": third.pk, "action": "steal"})
    assert bad.status_code == 400
    assert logged_in(editor).post(url, {"user": 99999, "action": "assign"}).status_code == 404


def test_next_article_prefers_returned_work_then_started_then_new(corpus, alice, editor):
    first, second, third = (
        Article.objects.create(corpus=corpus, title=f"t{i}", body=f"نص رقم {i}") for i in range(3)
    )
    for article in (first, second, third):
        assignment.assign(article, alice, editor)
    client = logged_in(alice)
    assert client.get(reverse("next_article"))["Location"] == first.get_absolute_url()
    returned = annotator_layer(third, alice)
    workflow.submit(returned, alice)
    workflow.request_changes(returned, editor, "Missing the place.")
    assert client.get(reverse("next_article"))["Location"] == third.get_absolute_url()
    workflow.submit(returned, alice)
    for article in (first, second):
        workflow.submit(annotator_layer(article, alice), alice)
    response = client.get(reverse("next_article"), follow=True)
    assert "Nothing left to annotate" in response.content.decode()


# Workflow -------------------------------------------------------------------------------


def test_submitted_layer_is_read_only_until_returned(alice, editor, article):
    client = logged_in(alice)
    layer = annotator_layer(article, alice)
    response = client.post(reverse("layer_submit", args=[layer.pk]))
    assert response.status_code == 302
    layer.refresh_from_db()
    assert layer.state == Layer.SUBMITTED
    page = client.get(article.get_absolute_url()).content.decode()
    assert "read-only until an editor returns it" in page
    data = {"start": piece(article, "مواقع"), "end": piece(article, "مواقع"), "label": "LOC"}
    data["version"] = layer.version
    refused = client.post(reverse("span_create", args=[article.pk]), data, **HX)
    assert refused.status_code == 422 and "read-only" in refused.content.decode()
    with pytest.raises(LayerLocked):
        add(layer, alice, 0, 4, "LOC", layer.version)
    # The editor returns it with a comment the annotator sees; writing is allowed again.
    review_url = reverse("layer_review", args=[layer.pk])
    empty = logged_in(editor).post(review_url, {"action": "return", "comment": " "}, follow=True)
    assert "Say what should change" in empty.content.decode()
    logged_in(editor).post(review_url, {"action": "return", "comment": "Tag مواقع as LOC?"})
    layer.refresh_from_db()
    assert (layer.state, layer.review_comment, layer.reviewed_by) == (
        Layer.CHANGES_REQUESTED,
        "Tag مواقع as LOC?",
        editor,
    )
    assert "Tag مواقع as LOC?" in client.get(article.get_absolute_url()).content.decode()
    assert client.post(reverse("span_create", args=[article.pk]), data, **HX).status_code == 200
    layer.refresh_from_db()
    assert layer.state == Layer.IN_PROGRESS
    client.post(reverse("layer_submit", args=[layer.pk]))
    logged_in(editor).post(review_url, {"action": "approve"})
    layer.refresh_from_db()
    assert layer.state == Layer.APPROVED


def test_transitions_out_of_order_are_refused(alice, bob, editor, article):
    layer = annotator_layer(article, alice)
    with pytest.raises(workflow.TransitionRefused, match="cannot become approved"):
        workflow.approve(layer, editor)
    with pytest.raises(workflow.TransitionRefused, match="Only the annotator"):
        workflow.submit(layer, bob)
    # Bob cannot even reach alice's submit endpoint.
    assert logged_in(bob).post(reverse("layer_submit", args=[layer.pk])).status_code == 404
    workflow.submit(layer, alice)
    with pytest.raises(workflow.TransitionRefused):
        workflow.submit(layer, alice)
    response = logged_in(editor).post(
        reverse("layer_review", args=[layer.pk]), {"action": "reopen"}
    )
    assert response.status_code == 400


def test_state_changes_and_assignments_are_in_the_article_history(alice, editor, article):
    assignment.unassign(article, alice, editor)
    assignment.assign(article, alice, editor)
    layer = annotator_layer(article, alice)
    add(layer, alice, article.body.index("الرقة"), article.body.index("الرقة") + 5, "LOC", 1)
    workflow.submit(layer, alice)
    workflow.request_changes(layer, editor, "Please check the dates.")
    html = logged_in(editor).get(reverse("article_history", args=[article.pk])).content.decode()
    assert "Please check the dates." in html and "submitted" in html
    assert "assignment" in html and "span" in html
    kinds = set(AuditEntry.objects.filter(article=article).values_list("object_type", flat=True))
    assert {"assignment", "span", "layer"} <= kinds


def test_review_dashboard_lists_states_and_filters(alice, bob, editor, article, other):
    workflow.submit(annotator_layer(article, alice), alice)
    annotator_layer(article, bob)
    client = logged_in(editor)
    html = client.get(reverse("review")).content.decode()
    assert "alice: " in html and "submitted" in html and other.title in html
    assignment.unassign(article, bob, editor)
    html = client.get(reverse("review")).content.decode()
    assert "bob (unassigned): " in html  # his layer stays on record
    html = client.get(reverse("review"), {"state": "submitted"}).content.decode()
    assert article.title in html and other.title not in html
    html = client.get(reverse("review"), {"state": "unassigned"}).content.decode()
    assert other.title in html and article.title not in html
    response = client.post(reverse("auto_assign", args=[article.corpus_id]), follow=True)
    assert "3 assignment(s) made." in response.content.decode()
    assert set(other.assignments.values_list("user__username", flat=True)) == {"alice", "bob"}


def test_editors_set_annotators_per_article(corpus, editor, alice):
    url = reverse("corpus_settings", args=[corpus.pk])
    assert logged_in(alice).post(url, {"annotators_per_article": "3"}).status_code == 404
    response = logged_in(editor).post(url, {"annotators_per_article": "4"}, follow=True)
    assert "must be 1, 2 or 3" in response.content.decode()
    logged_in(editor).post(url, {"annotators_per_article": "3"})
    corpus.refresh_from_db()
    assert corpus.annotators_per_article == 3


def test_corpus_allows_one_to_three_annotators_per_article(corpus):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    corpus.annotators_per_article = 4
    with pytest.raises(ValidationError):
        corpus.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        corpus.save()


def test_demo_users_assign_every_article_to_both_annotators(corpus, article, other):
    from io import StringIO

    from django.core.management import call_command

    Assignment.objects.all().delete()
    # The fixture's annotators leave the corpus so that only the demo users get work.
    Membership.objects.filter(role=Membership.ANNOTATOR).delete()
    call_command("demo_users", "--corpus", corpus.name, stdout=StringIO())
    call_command("demo_users", "--corpus", corpus.name, stdout=StringIO())
    corpus.refresh_from_db()
    assert corpus.annotators_per_article == 2
    for made in (article, other):
        names = set(made.assignments.values_list("user__username", flat=True))
        assert names == {"annotator", "annotator2"}
