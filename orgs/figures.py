"""Per-organization figures (issue 13): docs/decisions.md "Dashboards from per-organization figures". The
rows are written by PostgreSQL triggers only (orgs/figures_sql.py); SQLite, the development database, counts
live instead (orgs.selectors.uses_figures)."""
from django.db import models

PEOPLE_COUNTERS = ("members", "members_incomplete", "members_pending", "members_failed", "members_dev_issue",
                   "cadres", "cadres_incomplete", "cadres_pending", "cadres_failed", "cadres_dev_issue",
                   "people_incomplete")
REQUEST_COUNTERS = ("requests_pending", "requests_completed", "requests_rejected", "requests_withdrawn")
COUNTERS = (*PEOPLE_COUNTERS, *REQUEST_COUNTERS, "children")
# What an organization adds to the counts of organizations above it, each 0 or 1 (the dashboard's figures).
ORG_FLAGS = ("orgs", "branches", "meeting", "small", "empty", "no_cadres", "branches_no_cadres")
ROLLED = (*COUNTERS, *ORG_FLAGS)


class PeopleCounters(models.Model):
    """Current memberships and held posts, and what is wrong with their people (the dashboard's figures)."""
    members = models.IntegerField(default=0)
    members_incomplete = models.IntegerField(default=0)
    members_pending = models.IntegerField(default=0)
    members_failed = models.IntegerField(default=0)
    members_dev_issue = models.IntegerField(default=0)
    cadres = models.IntegerField(default=0)
    cadres_incomplete = models.IntegerField(default=0)
    cadres_pending = models.IntegerField(default=0)
    cadres_failed = models.IntegerField(default=0)
    cadres_dev_issue = models.IntegerField(default=0)
    people_incomplete = models.IntegerField(default=0)

    class Meta:
        abstract = True


class RequestCounters(models.Model):
    """Transfers that left or reached the subtree, by status (transfers.selectors.history): +1 at the branch it
    leaves, +1 at the organization it goes to, -1 where the two meet, so one inside the subtree counts once."""
    requests_pending = models.IntegerField(default=0)
    requests_completed = models.IntegerField(default=0)
    requests_rejected = models.IntegerField(default=0)
    requests_withdrawn = models.IntegerField(default=0)

    class Meta:
        abstract = True


class Counters(PeopleCounters, RequestCounters):
    children = models.IntegerField(default=0)  # active sub-organizations

    class Meta:
        abstract = True


class OrgStats(Counters):
    """One organization's own figures (its current memberships and held posts, the people behind them, its active
    children, the transfers at it), kept by PostgreSQL triggers in the transaction of every change
    (orgs/figures_sql.py), as appended deltas; the compactor folds them into these rows and into `r_…`, the totals
    of the organization's whole subtree as of that fold, and `f_…`, what this organization added to its
    ancestors' counts of organizations then. A subtree's figure now = its `r_…` + the deltas not folded yet below
    it (orgs.selectors.figures_of). `people_incomplete` counts each incomplete person once per subtree: +1 at
    every organization they are placed in, -1 at the meeting point (lowest common ancestor) of each two
    consecutive ones in path order."""
    org = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+")
    path = models.CharField(max_length=255)  # copies of the organization's, kept by the same trigger
    is_active = models.BooleanField(default=True)
    is_branch = models.BooleanField(default=False)
    meets_standard = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["path"], name="orgstats_path", opclasses=["varchar_pattern_ops"]),
            # the few organizations behind a dashboard flag, as of the last fold (orgs.selectors.flagged_within)
            *(models.Index(fields=["path"], name=f"orgstats_{flag}", opclasses=["varchar_pattern_ops"],
                           condition=models.Q(**{f"f_{flag}": 1})) for flag in ("small", "empty", "no_cadres")),
        ]

    def __str__(self):
        return f"{self.org_id}: {self.members} members"


for _name in ORG_FLAGS:
    OrgStats.add_to_class(f"f_{_name}", models.SmallIntegerField(default=0))
for _name in ROLLED:
    OrgStats.add_to_class(f"r_{_name}", models.IntegerField(default=0))


class OrgStatsDelta(Counters):
    """A change to one organization's figures, appended by the triggers (appends never wait on each other) and
    folded into OrgStats by `org_figures --compact` (orgs.services.compact_figures). Reads add both through the view
    orgs_orgcurrent."""
    # No key constraint in the database (issue 13): only the triggers write these rows, for organizations they read,
    # and a key check a row (a key-share lock on the organization's row) was ~1,900 checks in each sweep chunk's
    # commit, two workers locking the same organizations. Deleting an organization still takes its deltas (the ORM's
    # cascade); an orphan could only be left unread (the fold and the view start from orgs_orgstats).
    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+", db_constraint=False)

    def __str__(self):
        return f"{self.org_id} {self.members:+d} members"


class PersonStatsMark(PeopleCounters):
    """What one person adds to one organization's figures now: the triggers take it back before they add the
    person's new contribution, so every change is the difference of two known states. Plain ids: the tree sits
    below the people (docs/architecture.md), and only the triggers write these rows."""
    person_id = models.BigIntegerField(db_index=True)
    # Indexed for a move (issue 15): the organizations' trigger finds the people placed at each moved organization;
    # without it every one of a 3,000-organization subtree read the whole table (~0.27 s each at a million members).
    org_id = models.BigIntegerField(db_index=True)

    def __str__(self):
        return f"{self.person_id} at {self.org_id}"


class RequestStatsMark(RequestCounters):
    """What one transfer adds to one organization's request figures now (as PersonStatsMark for people)."""
    request_id = models.BigIntegerField(db_index=True)
    org_id = models.BigIntegerField()

    def __str__(self):
        return f"transfer {self.request_id} at {self.org_id}"


class OrgCurrent(Counters):
    """The view orgs_orgcurrent (PostgreSQL only): OrgStats plus the deltas not folded yet. Read-only."""
    org = models.OneToOneField("orgs.Organization", on_delete=models.DO_NOTHING, primary_key=True, related_name="figures")
    path = models.CharField(max_length=255)
    is_active = models.BooleanField()
    is_branch = models.BooleanField()
    meets_standard = models.BooleanField()

    class Meta:
        managed = False
        db_table = "orgs_orgcurrent"

    def __str__(self):
        return f"{self.org_id}: {self.members} members"
