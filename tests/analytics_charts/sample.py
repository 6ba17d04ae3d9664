"""A page with every kind of chart, as the dashboards will show them.

Used by the browser test, which screenshots it for people to look at; the
data is made up but shaped like a creator's month (weekday evenings busy,
one viral day, a follower dip after it).
"""

import random
from datetime import date, timedelta
from pathlib import Path

from django.template import engines

from analytics.charts import Series, bar_chart, heatmap, line_chart

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>alert("pwned")</script>.evil.example'
LONG = "a-very-long-instance-name-that-keeps-going.social.example.org"

PAGE = """{% load charts %}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Charts</title><style>{{ css }}</style></head>
<body><main class="container" style="padding-top:24px">
<h1>Charts sample</h1>
<section class="card">
  {% include "analytics/charts/_chart.html" with chart=interactions %}
</section>
<section class="card">
  {% include "analytics/charts/_chart.html" with chart=stacked %}
</section>
<section class="card">
  {% include "analytics/charts/_chart.html" with chart=followers %}
</section>
<div class="grid-2">
  <section class="card">
    {% include "analytics/charts/_chart.html" with chart=platforms %}
  </section>
  <section class="card">
    {% include "analytics/charts/_chart.html" with chart=instances %}
  </section>
</div>
<section class="card">
  {% include "analytics/charts/_chart.html" with chart=hours open_table=True %}
</section>
<div class="grid-2">
  <section class="card">
    {% include "analytics/charts/_chart.html" with chart=week %}
  </section>
  <section class="card">
    {% include "analytics/charts/_chart.html" with chart=empty %}
  </section>
</div>
<section class="card">
  <h2>Top posts</h2>
  <table class="chart-table">
    <thead><tr><th scope="col">Post</th><th scope="col">Interactions</th>
    <th scope="col">Last 30 days</th></tr></thead>
    <tbody>{% for title, total, daily in posts %}
      <tr><th scope="row">{{ title }}</th><td>{{ total }}</td>
      <td>{{ daily|sparkline:title }}</td></tr>{% endfor %}
    </tbody>
  </table>
</section>
</main></body></html>
"""


def sample_context(seed: int = 6) -> dict:
    rng = random.Random(seed)
    days = [date(2024, 6, 1) + timedelta(days=i) for i in range(30)]
    likes = [rng.randint(20, 60) + (240 if i == 17 else 0) for i in range(30)]
    boosts = [rng.randint(5, 25) + (90 if i == 17 else 0) for i in range(30)]
    replies = [rng.randint(0, 12) for _ in range(30)]
    totals = [a + b + c for a, b, c in zip(likes, boosts, replies, strict=True)]
    previous = [rng.randint(40, 90) for _ in range(30)]
    quarter = [date(2024, 4, 2) + timedelta(days=i) for i in range(90)]
    followers, count = [], 1180
    for i in range(90):
        count += rng.randint(-3, 6) + (40 if i == 75 else 0) - (25 if i == 80 else 0)
        followers.append(count)
    hours = [
        [
            rng.randint(0, 6)
            + (30 if 18 <= hour <= 21 and weekday < 5 else 0)
            + (15 if 9 <= hour <= 11 and weekday >= 5 else 0)
            for hour in range(24)
        ]
        for weekday in range(7)
    ]
    hours[1][20] = 95  # Tuesday evening: the busiest hour
    return {
        "interactions": line_chart(
            title="Interactions per day",
            days=days,
            series=[
                Series("Last 30 days", totals),
                Series("Previous 30 days", previous, comparison=True),
            ],
        ),
        "stacked": line_chart(
            title="Interactions by kind",
            days=days,
            series=[
                Series("Likes", likes),
                Series("Boosts", boosts),
                Series("Replies", replies),
            ],
            stacked=True,
        ),
        "followers": line_chart(
            title="Followers",
            days=quarter,
            series=[Series("Followers", followers)],
            unit="followers",
            cumulative=True,
        ),
        "platforms": bar_chart(
            title="Interactions by platform",
            label_heading="Platform",
            items={
                "Mastodon": 2841,
                "Threads": 1320,
                "Misskey": 402,
                "Pleroma / Akkoma": 96,
                "Pixelfed": 61,
                "GoToSocial": 18,
                "Other": 4,
            },
        ),
        "instances": bar_chart(
            title="Top instances",
            label_heading="Instance",
            items={
                "mastodon.social": 1210,
                "threads.net": 1320,
                "misskey.io": 380,
                LONG: 240,
                "fosstodon.org": 188,
                HOSTILE: 42,
            },
            total=4742,
        ),
        "hours": heatmap(
            title="When engagement arrives",
            counts=hours,
            time_zone="Europe/Berlin",
        ),
        "week": line_chart(
            title="Replies this week",
            days=days[:7],
            series=[Series("Replies", replies[:7])],
            unit="replies",
        ),
        "empty": bar_chart(title="Quotes by platform", items={}),
        "posts": [
            ("Launch day thread", "1,204", totals),
            ("Behind the scenes", "377", [v // 3 for v in previous]),
            ("New post (no data yet)", "0", [0] * 30),
        ],
    }


def render_sample_page(path: Path) -> Path:
    """Write the sample page, with the project's CSS inlined, to `path`."""
    css = "\n".join(
        (ROOT / "static" / "css" / name).read_text()
        for name in ("app.css", "charts.css")
    )
    template = engines["django"].from_string(PAGE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template.render({**sample_context(), "css": css}))
    return path
