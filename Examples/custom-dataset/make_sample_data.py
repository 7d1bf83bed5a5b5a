#!/usr/bin/env python3
"""Writes the example's invented sample data (no real or mirrored texts):
  data/tickets.csv     support tickets: id, subject, body, queue (billing / bug / question)
  data/feedback.jsonl  product feedback: {"id", "text", "stars"} (1-5)
Deterministic: run it again and the files come out byte for byte the same."""
import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
rng = random.Random(2024)

products = ["the desktop app", "the mobile app", "the web dashboard", "the API", "the sync service"]
months = ["January", "February", "March", "April", "May", "June"]

billing = [
    ("Charged twice in {m}", "My card was charged twice for the {m} invoice. Could you refund the second payment?"),
    ("Invoice shows the wrong plan", "The invoice for {m} lists the team plan, but we switched to the basic plan. Please correct it."),
    ("How do I update my card?", "Our company card expires soon. Where can I change the payment method for {p}?"),
    ("Refund for unused seats", "We removed four seats in {m}. Will the unused time be credited to our account?"),
    ("VAT number missing", "Our VAT number is missing from the {m} invoice, so accounting cannot book it."),
]
bug = [
    ("Crash when exporting", "{p} closes without a message when I export a report with more than 500 rows."),
    ("Login loop", "After the update, {p} keeps sending me back to the login page, even with the right password."),
    ("Dates shown one day off", "Events created in {m} show up one day early in {p} for users in Sydney."),
    ("Sync stuck at 99%", "{p} has been stuck at 99% since this morning and the log says 'timeout while uploading'."),
    ("Buttons overlap on small screens", "On a narrow window the save and cancel buttons of {p} overlap, so I cannot save."),
]
question = [
    ("Can I invite guests?", "Is it possible to give a client read-only access to one project in {p}?"),
    ("Keyboard shortcuts", "Is there a list of keyboard shortcuts for {p}? I could not find one in the help pages."),
    ("Data retention", "How long do you keep deleted projects, and can we restore one from {m}?"),
    ("Offline mode", "Does {p} work offline, for example on a train without a connection?"),
    ("Exporting to a spreadsheet", "What is the best way to get all our tasks from {p} into a spreadsheet?"),
]

rows = []
for queue, templates in (("billing", billing), ("bug", bug), ("question", question)):
    for k in range(20):
        subject, body = templates[k % len(templates)]
        fill = {"m": rng.choice(months), "p": rng.choice(products)}
        rows.append([queue, subject.format(**fill), body.format(**fill) + f" (ref {rng.randint(1000, 9999)})"])
rng.shuffle(rows)
with open(HERE / "data" / "tickets.csv", "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(["id", "subject", "body", "queue"])
    for i, (queue, subject, body) in enumerate(rows, 1):
        writer.writerow([f"T{i:03d}", subject, body, queue])

good = ["Works exactly as promised.", "Setup took five minutes and everything synced.", "The new search is fast.",
        "Support answered within an hour, thank you!", "Clean design, easy to learn."]
bad = ["It crashed twice today and I lost my notes.", "Far too slow on my old laptop.", "The update removed the feature I used most.",
       "Billing is confusing and I was charged twice.", "I cannot find anything in the new menus."]
with open(HERE / "data" / "feedback.jsonl", "w", encoding="utf-8") as f:
    for i in range(40):
        stars = rng.choice([1, 2, 3, 4, 5])
        pool = good if stars >= 4 else bad if stars <= 2 else good + bad
        text = f"{rng.choice(pool)} (about {rng.choice(products)})"
        f.write(json.dumps({"id": f"F{i + 1:02d}", "text": text, "stars": stars}) + "\n")
