"""Newsdesk benchmarks: gazetteer load, pre-tagging, and the annotation page on a long article.

Run with `make bench` (PostgreSQL by default; any DATABASE_URL works). It creates a
throw-away test database, so it never touches your data, and prints a table.
"""

from __future__ import annotations

import statistics
import sys
import time

from common import ROOT, percentiles, record, run, timed
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from annotations import spans
from annotations.actors import load_actors
from annotations.document import Document, document_for
from annotations.gazetteer import load_default_gazetteer
from annotations.ingest import ingest
from annotations.models import Article, Corpus, Membership, Span
from annotations.taggers import pretag
from annotations.text import tokenize

SAMPLES = ROOT / "fixtures" / "samples"


def long_body() -> str:
    """About 5,000 words of Arabic report text, built from the samples."""
    texts = [
        p.read_text(encoding="utf-8").split("\n", 1)[1].strip()
        for p in sorted(SAMPLES.glob("*.txt"))
    ]
    parts, words = [], 0
    while words < 5000:
        for text in texts:
            parts.append(text)
            words += len(text.split())
            if words >= 5000:
                break
    return "\n\n".join(parts)


def bench_gazetteer() -> None:
    _, ms = timed(load_default_gazetteer)
    record("load gazetteer (`load_gazetteer`: region 500+, world 15,000+)", ms, "ms")
    _, ms = timed(load_actors)
    record("load the actor list", ms, "ms")


def bench_pretag_samples(corpus: Corpus) -> None:
    report = ingest([SAMPLES], corpus)
    articles = list(Article.objects.filter(pk__in=report.article_ids))
    words = sum(len(a.body.split()) for a in articles)
    start = time.perf_counter()
    for article in articles:
        pretag(article)
    ms = (time.perf_counter() - start) * 1000
    record(f"pre-tag {len(articles)} samples ({words:,} words), first run", ms, "ms")
    start = time.perf_counter()
    for article in articles:
        pretag(article)
    record("pre-tag samples again (idempotent no-op)", (time.perf_counter() - start) * 1000, "ms")


def bench_crf(article: Article) -> None:
    """Train the CRF on ANERcorp's training part, then pre-tag the long article with it."""
    if not settings.NEWSDESK_BASE_CONLL:
        record("CRF (no ANERcorp beside the repo)", "skipped", "")
        return
    from annotations.learning import train_model
    from annotations.taggers import configured_engines
    from annotations.taggers.crf import CRFTagger

    model, ms = timed(train_model, settings.NEWSDESK_BASE_CONLL)
    record(f"train CRF on {model.metrics['tokens']:,} tokens (one core)", ms / 1000, "s")
    _, ms = timed(CRFTagger.load, model.path)
    record("load CRF model", ms, "ms")
    engines = configured_engines()
    tokens = tokenize(article.body)
    for engine in engines:
        runs = [timed(engine.tag, article.body, tokens)[1] for _ in range(3)]
        record(
            f"{engine.name} engine, {len(tokens):,} tokens",
            len(tokens) / (min(runs) / 1000),
            "tokens/s",
        )
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for engine in engines:
            engine.tag(article.body, tokens)
        runs.append(time.perf_counter() - start)
    record("CRF + gazetteer together", len(tokens) / min(runs), "tokens/s")
    layer, ms = timed(pretag, article, force=True)
    record(
        f"pre-tag long article with CRF + gazetteer ({layer.spans.count()} spans, with DB)",
        ms,
        "ms",
    )


def bench_long_article(corpus: Corpus) -> Article:
    body = long_body()
    article = Article.objects.create(corpus=corpus, title="long", body=body)
    _, ms = timed(tokenize, body)
    record(f"tokenize {len(body.split()):,} words", ms, "ms")
    _, ms = timed(Document, body)
    record("build document (tokens, proclitic pieces, paragraphs)", ms, "ms")
    layer, ms = timed(pretag, article)
    record(f"pre-tag long article ({layer.spans.count()} machine spans)", ms, "ms")

    user = User.objects.create_user("bench")
    Membership.objects.create(corpus=corpus, user=user)
    article.assignments.create(user=user)
    own = spans.annotator_layer(article, user)
    doc = document_for(body)
    # Top the layer up to 500 spans on tokens the machine did not tag.
    taken = {(s.start, s.end) for s in own.spans.all()}
    free = [t for t in doc.tokens if (t.start, t.end) not in taken and len(t.text) > 2]
    step = max(len(free) // (500 - len(taken)), 1)
    Span.objects.bulk_create(
        Span(layer=own, start=t.start, end=t.end, label="MISC")
        for t in free[::step][: 500 - len(taken)]
    )
    record("spans on the annotator layer", str(own.spans.count()), "")

    client = Client()
    client.force_login(user)
    url = article.get_absolute_url()
    client.get(url)
    page = [timed(client.get, url)[1] for _ in range(10)]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    p50, p95 = percentiles(page)
    record("annotation page, 5,000 words / 500 spans, p50", p50, "ms")
    record("annotation page p95", p95, "ms")
    record("annotation page size", f"{len(response.content) / 1024:,.0f}", "KiB")

    headers = {"HTTP_HX_REQUEST": "true"}
    create_url = f"/articles/{article.pk}/spans/"
    times, sizes = [], []
    targets = [t for t in doc.tokens if len(t.text) > 3][5:45]
    for token in targets:
        own.refresh_from_db()
        data = {
            "start": f"{token.index}.0",
            "end": f"{token.index}.0",
            "label": "PERS",
            "version": own.version,
        }
        response, ms = timed(client.post, create_url, data, **headers)
        assert response.status_code == 200, response.content.decode()
        times.append(ms)
        sizes.append(len(response.content))
    p50, p95 = percentiles(times)
    record(f"span create (htmx), {len(times)} writes, p50", p50, "ms")
    record("span create p95", p95, "ms")
    record("span create response size, median", f"{statistics.median(sizes) / 1024:,.1f}", "KiB")
    return article


def bench_adjudication(article: Article) -> None:
    """Two annotators' 500-span layers of the long article, one in ten spans differing."""
    from annotations.adjudication import items
    from annotations.models import Layer

    corpus = article.corpus
    first = Layer.objects.get(article=article, kind=Layer.ANNOTATOR)
    second_user = User.objects.create_user("bench2")
    editor = User.objects.create_user("bench-editor")
    Membership.objects.create(corpus=corpus, user=second_user)
    Membership.objects.create(corpus=corpus, user=editor, role=Membership.EDITOR)
    corpus.annotators_per_article = 2
    corpus.save()
    article.assignments.create(user=second_user)
    second = Layer.objects.create(
        article=article, kind=Layer.ANNOTATOR, annotator=second_user, state=Layer.SUBMITTED
    )
    Layer.objects.filter(pk=first.pk).update(state=Layer.SUBMITTED)
    copied = []
    for i, span in enumerate(first.spans.order_by("start")):
        if i % 20 == 5:
            continue  # one in twenty missing
        label = "ORG" if i % 20 == 10 and span.label != "ORG" else span.label
        copied.append(Span(layer=second, start=span.start, end=span.end, label=label))
    Span.objects.bulk_create(copied)
    client = Client()
    client.force_login(editor)
    url = f"/articles/{article.pk}/adjudicate/"
    response, ms = timed(client.get, url)
    assert response.status_code == 200, response.status_code
    record("adjudication page, first visit (nothing written)", ms, "ms")
    response, ms = timed(client.post, url)
    assert response.status_code in (200, 302), response.status_code
    record("start the gold layer (POST: gold from agreed spans)", ms, "ms")
    page = [timed(client.get, url)[1] for _ in range(10)]
    p50, p95 = percentiles(page)
    gold = article.gold_layer()
    found = items(article, gold)
    record(f"adjudication page, 2 × ~500 spans, {len(found)} disagreements, p50", p50, "ms")
    record("adjudication page p95", p95, "ms")
    headers = {"HTTP_HX_REQUEST": "true"}
    decide = f"/articles/{article.pk}/adjudicate/decide/"
    times = []
    for item in found[:20]:
        gold.refresh_from_db()
        data = {"key": item.key, "choice": item.options[0].choice, "version": gold.version}
        response, ms = timed(client.post, decide, data, **headers)
        assert response.status_code == 200, response.content.decode()[:200]
        times.append(ms)
    p50, p95 = percentiles(times)
    record(f"adjudication answer (htmx), {len(times)} answers, p50", p50, "ms")
    record("adjudication answer p95", p95, "ms")


def main() -> None:
    corpus = Corpus.objects.create(name="bench")
    bench_gazetteer()
    bench_pretag_samples(corpus)
    article = bench_long_article(corpus)
    bench_adjudication(article)
    if "--no-crf" in sys.argv:
        return  # training the CRF takes minutes; the other rows do not need it
    bench_crf(Article.objects.create(corpus=corpus, title="long 2", body=article.body + " "))


if __name__ == "__main__":
    run("Newsdesk bench", main)
