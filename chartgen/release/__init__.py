"""The release stage: publish each chart version once, immutably (`chart.py`, to the targets of
`targets.py`), and check a released package's signature (`verify.py`).

For one chart, every step is a reason to stop before anything is published:
1. the chart folder is what HEAD committed, its name is its folder's (a valid chart name: it
   becomes a git tag, a registry path and a file name), and its `chartgen/digest` is its
   content's digest;
2. the target already has NAME VERSION: the same digest is skipped, another one is an error;
3. the version is claimed by the git tag NAME-VERSION, created only when absent and pushed to
   `origin` without force: of two runs releasing one version, git lets exactly one claim it;
4. `helm package` (signed when a key is configured) into a temporary folder, then `helm push`
   (OCI) or a copy plus a merged index.yaml under an exclusive lock (chart repository folder).
A chart that fails is reported, its claim taken back, and the others are still released.
Failure messages do not repeat the chart's name: the report line (and the JSON entry) carries it.

A claim that could not be taken back (origin went away) stays on the chart's commit: a retry of
the same content re-uses it; other content under that version is refused (bump the version).
Without an `origin` remote, a tag claims the version in this clone only: two clones releasing
one version to the same OCI registry at once could both push (OCI tags are mutable); a chart
repository folder is still arbitrated by its lock.
"""
