"""Stage 8, commit: status reports as files under status/, committed and pushed (Git edge).

`status_files` is pure (reports -> file contents); `git_ops` and `remote` talk to Git.
"""
