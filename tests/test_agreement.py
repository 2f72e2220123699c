"""Agreement: every measure on small cases computed by hand, the loader, and the screen."""

from __future__ import annotations

import csv
import gc
import io
from collections import Counter
from datetime import date

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from sklearn.metrics import cohen_kappa_score

from annotations.agreement import (
    METRICS,
    ArticleRecord,
    EventRecord,
    LayerRecord,
    SpanRecord,
    TokenCache,
    alpha_interval,
    alpha_nominal,
    compute,
    confusion,
    event_tallies,
    exact_matches,
    kappa,
    kappa_closed_form,
    load,
    match_events,
    overlap_matches,
    place_link_tally,
    report,
    span_f1,
    token_labels,
)
from annotations.models import Article, Corpus, Event, Evidence, Layer, Membership, Span
from tests.conftest import BODY, make_user

S = SpanRecord
CLASH = ("Battles", "Armed clash")
AIRSTRIKE = ("Explosions/Remote violence", "Air/drone strike")
ATTACK = ("Violence against civilians", "Attack")
PROTEST = ("Protests", "Peaceful protest")


# --- Spans ---------------------------------------------------------------------------------


def test_it_scores_exact_and_overlap_f1():
    a = [S(0, 5, "LOC"), S(10, 15, "PERS"), S(20, 30, "ORG")]
    b = [S(0, 5, "LOC"), S(11, 15, "PERS"), S(20, 30, "MISC")]
    # Exact: only LOC matches -> 2*1 / (3+3) = 1/3.
    assert span_f1(a, b) == pytest.approx(1 / 3)
    # Overlap: LOC and PERS (10-15 overlaps 11-15); ORG/MISC differ in label -> 2*2/6 = 2/3.
    assert span_f1(a, b, overlap=True) == pytest.approx(2 / 3)
    # Symmetric.
    assert span_f1(b, a) == span_f1(a, b)
    assert span_f1(b, a, overlap=True) == span_f1(a, b, overlap=True)


def test_it_matches_overlapping_spans_one_to_one():
    # One wide span against two narrow ones: one pair, so 2*1 / (1+2) = 2/3.
    assert span_f1([S(0, 10, "LOC")], [S(0, 4, "LOC"), S(5, 10, "LOC")], overlap=True) == (
        pytest.approx(2 / 3)
    )
    # A1 overlaps B1 by 5 and B2 by 3, A2 overlaps B1 by 3. Taking the largest overlap
    # first (A1-B1) would leave one pair; the maximum matching is A1-B2 and A2-B1.
    a = [S(0, 10, "LOC"), S(12, 20, "LOC")]
    b = [S(5, 15, "LOC"), S(0, 3, "LOC")]
    assert sorted(overlap_matches(a, b)) == [(a[0], b[1]), (a[1], b[0])]
    assert span_f1(a, b, overlap=True) == 1.0  # 2*2 / (2+2)


def test_f1_is_undefined_without_spans_and_zero_without_matches():
    assert span_f1([], []) is None
    assert span_f1([S(0, 5, "LOC")], []) == 0.0  # 2*0 / (1+0)


def test_exact_matches_use_each_span_once():
    assert exact_matches([S(0, 5, "LOC"), S(0, 5, "LOC")], [S(0, 5, "LOC")]) == [
        (S(0, 5, "LOC"), S(0, 5, "LOC"))
    ]


def test_place_link_agreement_counts_matched_loc_pairs_with_a_place():
    a = [S(0, 5, "LOC", 1), S(10, 15, "LOC"), S(20, 25, "LOC", 1), S(30, 35, "PERS", 2)]
    b = [S(0, 5, "LOC", 1), S(10, 15, "LOC"), S(20, 25, "LOC", 2), S(40, 45, "LOC", 1)]
    # Matched LOC pairs: 0-5 (1 = 1, agree), 10-15 (no place either side: left out),
    # 20-25 (1 vs 2, disagree); 40-45 is unmatched and PERS is not a place -> 1/2.
    tally = place_link_tally(a, b)
    assert (tally.agree, tally.total, tally.value) == (1, 2, 0.5)
    assert place_link_tally([S(0, 5, "LOC")], [S(0, 5, "LOC")]).value is None


# --- Tokens: labels, kappa, alpha ----------------------------------------------------------


def test_token_labels_take_the_longest_overlapping_span():
    tokens = [(0, 4), (5, 10), (11, 16)]
    # LOC covers tokens 1-2 (11 chars), PERS only token 1 (5 chars): LOC wins on token 1.
    assert token_labels(tokens, [S(5, 16, "LOC"), S(5, 10, "PERS")]) == ["O", "LOC", "LOC"]
    # A span starting after a proclitic (و|مسكنة) labels the whole token.
    assert token_labels([(0, 6)], [S(1, 6, "LOC")]) == ["LOC"]
    # Equal lengths: the first in (start, end, label) order, here LOC before ORG.
    assert token_labels([(0, 4)], [S(0, 4, "ORG"), S(0, 4, "LOC")]) == ["LOC"]


KAPPA_A = ["LOC", "LOC", "O", "O", "O", "O", "PERS", "O", "O", "O"]
KAPPA_B = ["LOC", "O", "O", "O", "O", "O", "PERS", "PERS", "O", "O"]


def test_kappa_by_hand():
    # Agreement on 8 of 10 tokens: p_o = 0.8. Margins A: LOC 2, O 7, PERS 1; B: LOC 1,
    # O 7, PERS 2. p_e = (2*1 + 7*7 + 1*2) / 100 = 0.53. kappa = 0.27 / 0.47 = 0.574468.
    confusion = Counter(zip(KAPPA_A, KAPPA_B, strict=True))
    assert kappa(confusion) == pytest.approx(0.27 / 0.47)
    assert kappa_closed_form(confusion) == pytest.approx(0.27 / 0.47)
    assert kappa(confusion) == pytest.approx(cohen_kappa_score(KAPPA_A, KAPPA_B))


def test_kappa_is_undefined_when_everything_is_outside():
    assert kappa(Counter({("O", "O"): 12})) is None
    assert kappa_closed_form(Counter({("O", "O"): 12})) is None
    # Two labels, never agreeing: p_o = 0, p_e = 0 -> kappa = 0, defined.
    assert kappa(Counter({("O", "LOC"): 3, ("LOC", "O"): 3})) == pytest.approx(-1.0)
    assert kappa(Counter({("O", "LOC"): 5})) == 0.0


def test_the_closed_form_kappa_equals_scikit_learns():
    rng = np.random.default_rng(6)
    for _ in range(50):
        a = rng.choice(["O", "LOC", "PERS", "ORG"], size=40, p=[0.7, 0.1, 0.1, 0.1])
        b = np.where(rng.random(40) < 0.7, a, rng.choice(["O", "LOC", "MISC"], size=40))
        confusion = Counter(zip(a.tolist(), b.tolist(), strict=True))
        assert kappa_closed_form(confusion) == pytest.approx(kappa(confusion))
        assert kappa(confusion) == pytest.approx(cohen_kappa_score(a, b))


def test_nominal_alpha_by_hand():
    # Units (O, LOC): both O; both LOC; one each. Coincidences o_OO = 2, o_LL = 2,
    # o_OL = o_LO = 1; n_O = n_L = 3, n = 6. alpha = 1 - (n-1) * 2 / (2 * 3 * 3) = 4/9.
    assert alpha_nominal(np.array([[2, 0], [0, 2], [1, 1]])) == pytest.approx(4 / 9)
    assert alpha_nominal(np.array([[2, 0], [2, 0]])) is None  # one label only
    assert alpha_nominal(np.array([[1, 0], [0, 1]])) is None  # no unit with two values


def test_folding_the_agreed_units_leaves_alpha_unchanged():
    # (O, LOC, PERS): two agreed O units (3 and 2 annotators) and one agreed LOC unit fold
    # into [5,0,0] and [0,2,0]; the disputed units stay as they are.
    every_unit = np.array([[3, 0, 0], [2, 0, 0], [0, 2, 0], [1, 1, 1], [1, 0, 1]])
    folded = np.array([[5, 0, 0], [0, 2, 0], [1, 1, 1], [1, 0, 1]])
    assert alpha_nominal(folded) == pytest.approx(alpha_nominal(every_unit))


def test_sparse_labels_give_the_full_confusion():
    # 6 tokens; A labels 0 and 2, B labels 0 and 3: the 3 others are (O, O).
    pairs = confusion({0: "LOC", 2: "PERS"}, {0: "LOC", 3: "ORG"}, 6)
    assert pairs == Counter({("LOC", "LOC"): 1, ("PERS", "O"): 1, ("O", "ORG"): 1, ("O", "O"): 3})


def test_interval_alpha_on_fatalities_by_hand():
    # Units (1, 2), (3, 3), (None, 5); the last has one value and is not pairable.
    # o_12 = o_21 = 1, o_33 = 2; n_1 = n_2 = 1, n_3 = 2, n = 4.
    # Observed: sum of o_ck (c-k)^2 = 2 * 1 = 2. Expected: sum of n_c n_k (c-k)^2 over
    # ordered pairs = 2 * (1*1*1 + 1*2*4 + 1*2*1) = 22. alpha = 1 - 3 * 2 / 22 = 8/11.
    assert alpha_interval([(1, 2), (3, 3), (None, 5)]) == pytest.approx(8 / 11)
    assert alpha_interval([(3, 5)]) == pytest.approx(0.0)  # one unit: as far as chance
    assert alpha_interval([(3, 3), (3, 3)]) is None  # no variation
    assert alpha_interval([]) is None


# --- Events --------------------------------------------------------------------------------


def event(kind, day, place, fatalities, *evidence):
    return EventRecord(*kind, date(2024, 3, day) if day else None, place, fatalities, evidence)


def test_events_match_by_evidence_or_two_fields():
    a = [
        event(CLASH, 1, 1, 3, (0, 10)),
        event(AIRSTRIKE, 2, 2, None),
        event(PROTEST, 5, 3, 0),
    ]
    b = [
        event(ATTACK, 3, 1, 5, (5, 12)),  # cites words of a[0]: matched despite the type
        event(AIRSTRIKE, 3, 9, None),  # sub-type and date (1 day off) agree: matched
    ]
    assert match_events(a, b) == [(a[0], b[0]), (a[1], b[1])]
    tallies, fatalities = event_tallies(a, b)
    values = {name: (t.agree, t.total) for name, t in tallies.items()}
    assert values == {
        "event_f1": (4, 5),  # 2 * 2 matched / (3 + 2)
        "event_type": (1, 2),  # Battles vs VAC; both Explosions
        "event_sub_type": (1, 2),
        "event_date": (1, 2),  # 1 vs 3 March is 2 days apart; 2 vs 3 March within 1 day
        "event_place": (1, 2),  # 1 = 1; 2 vs 9
        "event_fatalities": (1, 2),  # 3 vs 5; unknown and unknown agree
    }
    assert fatalities == [(3, 5), (None, None)]
    # A two-day tolerance forgives the first pair's dates as well.
    tallies, _ = event_tallies(a, b, tolerance_days=2)
    assert (tallies["event_date"].agree, tallies["event_date"].total) == (2, 2)


def test_shared_evidence_outranks_agreeing_fields():
    mine = [event(CLASH, 1, 1, 2, (0, 5))]
    theirs = [event(CLASH, 1, 1, 2), event(ATTACK, 9, 4, 7, (0, 5))]
    assert match_events(mine, theirs) == [(mine[0], theirs[1])]


def test_events_agreeing_on_one_field_only_do_not_match():
    assert match_events([event(CLASH, 1, 1, 2)], [event(CLASH, 20, 2, 2)]) == []
    # Unknown dates and places never count as agreeing fields for matching.
    assert match_events([event(CLASH, None, None, 2)], [event(CLASH, None, None, 2)]) == []


# --- The report on records -----------------------------------------------------------------


def test_the_report_pools_pairs_and_articles():
    one = ArticleRecord(
        1,
        "واحد",
        "a b c d",  # tokens at 0, 2, 4, 6
        [
            LayerRecord("alice", [S(0, 1, "LOC"), S(4, 5, "PERS")]),
            LayerRecord("bob", [S(0, 1, "LOC"), S(4, 5, "LOC")]),
            LayerRecord("carol", [S(0, 1, "LOC")]),
        ],
    )
    two = ArticleRecord(
        2,
        "اثنان",
        "x y",
        [
            LayerRecord("bob", [S(0, 1, "ORG"), S(2, 3, "ORG")]),
            LayerRecord("alice", [S(0, 1, "ORG")]),
        ],
    )
    alone = ArticleRecord(3, "ثلاثة", "z", [LayerRecord("alice", [S(0, 1, "LOC")])])
    result = report([one, two, alone])
    assert set(result.overall) == set(METRICS)
    assert result.articles_compared == 2
    pairs = {(p.annotator_a, p.annotator_b): p for p in result.pairs}
    # alice-bob: 1 match of 2+2 spans on one, 1 of 1+2 on two -> 2*2 / 7 = 4/7.
    assert pairs["alice", "bob"].scores["span_f1_exact"].value == pytest.approx(4 / 7)
    assert pairs["alice", "bob"].articles == 2
    # alice-carol and bob-carol: 1 match of 2+1 -> 2/3 each.
    assert pairs["alice", "carol"].scores["span_f1_exact"].value == pytest.approx(2 / 3)
    # Overall: 4 matches, 7 + 3 + 3 spans -> 8/13.
    assert result.overall["span_f1_exact"] == pytest.approx(8 / 13)
    assert result.overall_n["span_f1_exact"] == 13
    # alice-bob tokens: alice LOC O PERS O | ORG O; bob LOC O LOC O | ORG ORG. p_o = 4/6;
    # margins alice L1 O3 P1 R1, bob L2 O2 R2: p_e = (2 + 6 + 2) / 36. kappa = 14/26.
    assert pairs["alice", "bob"].scores["kappa"].value == pytest.approx(7 / 13)
    # Alpha over all annotators, one unit per token, counts (O, LOC, PERS, ORG):
    # [0,3,0,0] [3,0,0,0] [1,1,1,0] [3,0,0,0] | [0,0,0,2] [1,0,0,1].
    # o_LL = 3, o_OO = 6, o_RR = 2, the 3-coder unit gives 0.5 to each of its 6 off-diagonal
    # cells, o_OR = o_RO = 1: n_O = 8, n_L = 4, n_P = 1, n_R = 3, n = 16.
    # alpha = 1 - (n-1) * 5 / (16^2 - (64+16+1+9)) = 1 - 75/166 = 91/166.
    assert result.overall["alpha_labels"] == pytest.approx(91 / 166)
    assert result.overall_n["alpha_labels"] == 6
    # Per label, pooled over all pairs. LOC: alice-bob 1 match (alice 1 span, bob 2),
    # alice-carol 1 (1, 1), bob-carol 1 (2, 1) -> 2*3 / (3 + 2 + 3) = 6/8.
    labels = {row.label: row for row in result.labels}
    assert labels["LOC"].scores["span_f1_exact"].value == pytest.approx(6 / 8)
    assert labels["PERS"].scores["span_f1_exact"].value == 0.0
    # Articles: one row per pair, the lowest exact F1 first (alice-bob on one: 2/4).
    first = result.articles[0]
    assert (first.article_id, first.annotator_a, first.annotator_b) == (1, "alice", "bob")
    assert len(result.articles) == 4
    assert {row.article_id for row in result.articles} == {1, 2}


def test_the_token_cache_keeps_the_latest_bodies_by_content_hash():
    cache = TokenCache(1)
    assert len(cache.get(ArticleRecord(1, "", "a b", content_hash="h1"))) == 2
    # A content hash names one body for good, so the cache does not read the text again.
    assert len(cache.get(ArticleRecord(1, "", "a b c", content_hash="h1"))) == 2
    cache.get(ArticleRecord(2, "", "x", content_hash="h2"))  # pushes h1 out
    assert len(cache.get(ArticleRecord(1, "", "a b c", content_hash="h1"))) == 3
    assert len(cache.get(ArticleRecord(3, "", "p q r s"))) == 4  # no hash: never cached


def test_an_empty_report_is_all_undefined():
    result = report([])
    assert result.overall == dict.fromkeys(METRICS)
    assert next(result.rows()) == ("overall", "", "", "", "", "span_f1_exact", None, 0)


# --- Loading from the database -------------------------------------------------------------


def layer_with(article, user, *spans, state=Layer.SUBMITTED) -> Layer:
    layer = Layer.objects.create(article=article, kind=Layer.ANNOTATOR, annotator=user, state=state)
    for start, end, label, *place in spans:
        Span.objects.create(
            layer=layer, start=start, end=end, label=label, place=place[0] if place else None
        )
    return layer


def coded(layer: Layer, kind: tuple[str, str], day: int, place=None, fatalities=None, *evidence):
    made = Event.objects.create(
        layer=layer,
        event_type=kind[0],
        sub_event_type=kind[1],
        event_date=date(2024, 3, day),
        place=place,
        fatalities=fatalities,
    )
    for start, end in evidence:
        Evidence.objects.create(event=made, field="event_type", start=start, end=end)
    return made


def offsets(word: str) -> tuple[int, int]:
    start = BODY.index(word)
    return start, start + len(word)


@pytest.fixture
def annotated(article, alice, bob, places):
    """alice and bob agree on الرقة (linked to different places) and disagree on حلب."""
    raqqa, aleppo = offsets("الرقة"), offsets("حلب")
    a = layer_with(article, alice, (*raqqa, "LOC", places["raqqa"]), (*aleppo, "LOC"))
    b = layer_with(article, bob, (*raqqa, "LOC", places["aleppo"]), (*aleppo, "ORG"))
    coded(a, AIRSTRIKE, 1, places["raqqa"], 3, (0, 4))
    coded(b, AIRSTRIKE, 2, places["raqqa"], 3, (0, 10))
    Layer.objects.create(article=article, kind=Layer.MACHINE)  # never compared
    return a, b


def test_the_loader_reads_layers_spans_and_events_in_five_queries(
    annotated, article, corpus, places, django_assert_num_queries
):
    carol = make_user(corpus, "carol", Membership.ANNOTATOR)
    layer_with(article, carol, (0, 4, "MISC"), state=Layer.NEW)  # untouched: left out
    lonely = Article.objects.create(corpus=corpus, title="وحيد", body="نص آخر")
    layer_with(lonely, carol, (0, 2, "LOC"))  # one annotator: nothing to compare
    with django_assert_num_queries(5):
        records = load(corpus.articles.all())
    assert [r.article_id for r in records] == [article.pk]
    record = records[0]
    assert record.title == "غارات على الرقة" and record.body == BODY
    layers = {layer.annotator: layer for layer in record.layers}
    assert set(layers) == {"alice", "bob"}
    start, end = offsets("الرقة")
    assert SpanRecord(start, end, "LOC", places["raqqa"].pk) in layers["alice"].spans
    assert layers["bob"].events == [
        EventRecord(*AIRSTRIKE, date(2024, 3, 2), places["raqqa"].pk, 3, ((0, 10),))
    ]
    # Asked for, new layers count too.
    assert load([article.pk], states=["new"]) == []  # carol alone
    assert len(load([article.pk], states=["new", "submitted"])[0].layers) == 3


def test_compute_on_database_rows(annotated, article):
    result = compute([article.pk])
    assert gc.isenabled()  # paused while records are built, never left off
    assert compute([]).overall == dict.fromkeys(METRICS)
    assert compute(Article.objects.filter(pk=article.pk)).overall == result.overall
    # Spans: الرقة LOC = LOC, حلب LOC vs ORG -> exact 2*1 / 4 = 0.5 (overlap the same).
    assert result.overall["span_f1_exact"] == 0.5
    assert result.overall["span_f1_overlap"] == 0.5
    # Only الرقة is a matched LOC pair with a place, linked differently -> 0/1.
    assert (result.overall["place_link"], result.overall_n["place_link"]) == (0.0, 1)
    # The events share evidence 0-4: matched; dates one day apart agree at tolerance 1.
    assert result.overall["event_f1"] == 1.0
    assert result.overall["event_date"] == 1.0
    assert compute([article.pk], date_tolerance_days=0).overall["event_date"] == 0.0
    assert result.overall["alpha_fatalities"] is None  # 3 and 3: no variation
    assert result.overall["kappa"] is not None and result.overall["kappa"] < 1


# --- The screen ----------------------------------------------------------------------------


def test_editors_see_the_page(annotated, article, corpus, editor):
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("agreement"), {"corpus": corpus.pk})
    assert page.status_code == 200
    html = page.content.decode()
    link = reverse("article_detail", args=[article.pk])
    assert f'<td dir="rtl" lang="ar"><a href="{link}">غارات على الرقة</a></td>' in html
    assert "alice · bob" in html
    assert f"{reverse('agreement_csv')}?corpus={corpus.pk}&amp;tolerance=1" in html
    # Without a corpus the editor's first corpus is shown.
    assert client.get(reverse("agreement")).context["corpus"] == corpus


def test_htmx_requests_get_only_the_figures(annotated, corpus, editor):
    client = Client()
    client.force_login(editor)
    part = client.get(reverse("agreement"), {"corpus": corpus.pk}, HTTP_HX_REQUEST="true")
    html = part.content.decode()
    assert html.lstrip().startswith('<div id="report">') and "<html" not in html


def test_editors_download_the_csv(annotated, article, corpus, editor):
    client = Client()
    client.force_login(editor)
    response = client.get(reverse("agreement_csv"), {"corpus": corpus.pk, "tolerance": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="agreement-{corpus.pk}.csv"'
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == "scope,article_id,label,annotator_a,annotator_b,metric,value,n"
    rows = list(csv.reader(io.StringIO(text)))
    assert ["overall", "", "", "", "", "span_f1_exact", "0.5", "4"] in rows
    assert ["overall", "", "", "", "", "event_date", "0.0", "1"] in rows  # tolerance 0
    # LOC: alice 2 spans, bob 1, one match -> 2/3.
    assert ["label", "", "LOC", "", "", "span_f1_exact", "0.666667", "3"] in rows
    assert ["pair", "", "", "alice", "bob", "place_link", "0.0", "1"] in rows
    assert ["article", str(article.pk), "", "alice", "bob", "span_f1_exact", "0.5", "4"] in rows


def test_a_username_cannot_start_a_formula_in_the_csv(annotated, corpus, editor, bob):
    bob.username = "=HYPERLINK(1)"
    bob.save()
    client = Client()
    client.force_login(editor)
    response = client.get(reverse("agreement_csv"), {"corpus": corpus.pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    pairs = [r for r in rows if r[0] == "pair"]
    assert pairs and all("'=HYPERLINK(1)" in r[3:5] for r in pairs)


@pytest.mark.parametrize("name", ["agreement", "agreement_csv"])
def test_annotators_and_strangers_get_404(annotated, corpus, alice, stranger, name):
    client = Client()
    for user in (alice, stranger):
        client.force_login(user)
        assert client.get(reverse(name), {"corpus": corpus.pk}).status_code == 404
        assert client.get(reverse(name)).status_code == 404


def test_editors_of_another_corpus_get_404(annotated, corpus):
    other = Corpus.objects.create(name="Elsewhere")
    outsider = make_user(other, "otto", Membership.EDITOR)
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("agreement"), {"corpus": corpus.pk}).status_code == 404
    assert client.get(reverse("agreement"), {"corpus": other.pk}).status_code == 200


@pytest.mark.parametrize("name", ["agreement", "agreement_csv"])
def test_anonymous_users_are_sent_to_log_in(corpus, name):
    response = Client().get(reverse(name), {"corpus": corpus.pk})
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    "params, status",
    [
        ({"corpus": "abc"}, 400),
        ({"corpus": "-1"}, 400),
        ({"corpus": "999999"}, 404),
        ({"corpus": "99999999999999999999999"}, 404),  # beyond any integer column
        ({"tolerance": "1.5"}, 400),
        ({"tolerance": "-1"}, 400),
        ({"tolerance": "soon"}, 400),
        ({"tolerance": "1000"}, 400),
        ({"state": "finished"}, 400),
    ],
)
@pytest.mark.parametrize("name", ["agreement", "agreement_csv"])
def test_bad_parameters_are_refused_with_a_message(corpus, editor, name, params, status):
    client = Client()
    client.force_login(editor)
    response = client.get(reverse(name), {"corpus": corpus.pk, **params})
    assert response.status_code == status
    if status == 400:
        assert response.content  # says what was wrong


def test_superusers_see_every_corpus(annotated, corpus):
    boss = make_user(None, "boss", None)
    boss.is_superuser = True
    boss.save()
    client = Client()
    client.force_login(boss)
    assert client.get(reverse("agreement"), {"corpus": corpus.pk}).status_code == 200


def test_an_arabic_interface_renders(annotated, corpus, editor, settings):
    settings.LANGUAGE_CODE = "ar"
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("agreement"), {"corpus": corpus.pk}, HTTP_ACCEPT_LANGUAGE="ar")
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()


def test_stored_token_bounds_are_used_and_match_tokenizing(article, alice, bob):
    """Articles carry their token boundaries from import; agreement reads them back."""
    from annotations.agreement import TOKEN_CACHE, load
    from annotations.text import TOKENIZER_VERSION, token_bounds, unpack_bounds

    article.refresh_from_db()
    assert article.tokens_version == TOKENIZER_VERSION
    assert unpack_bounds(article.tokens) == token_bounds(article.body)
    for user in (alice, bob):
        layer = Layer.objects.create(
            article=article, kind=Layer.ANNOTATOR, annotator=user, state=Layer.SUBMITTED
        )
        Span.objects.create(layer=layer, start=0, end=4, label="LOC")
    TOKEN_CACHE.clear()
    (record,) = load([article.pk])
    assert record.tokens is not None
    index = TOKEN_CACHE.get(record)
    assert (index.starts, index.ends) == token_bounds(article.body)
    assert not TOKEN_CACHE._items  # nothing had to be tokenized
