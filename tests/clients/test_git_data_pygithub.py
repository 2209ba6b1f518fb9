"""PyGithub 2.x, unchanged, on the git data API against a real server process: blobs, trees,
commits, refs, tags, commits and comparisons; then `git clone` shows what it built."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.functional.test_git_http import Git, url


@pytest.fixture
def gh(server, user):
    from github import Auth, Github

    return Github(
        base_url=server.api,
        auth=Auth.Token(user.token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def test_pygithub_git_data(server, user, gh, tmp_path):
    from github import GithubException, InputGitAuthor, InputGitTreeElement

    repo = gh.get_user().create_repo(unique("pygd"), auto_init=True)
    main = repo.get_git_ref("heads/main")
    head = repo.get_git_commit(main.object.sha)
    blob = repo.create_git_blob("made by PyGithub\n", "utf-8")
    assert repo.get_git_blob(blob.sha).size == len("made by PyGithub\n")
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("lib/py.txt", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("inline.txt", "100644", "blob", content="inline\n"),
        ],
        base_tree=head.tree,
    )
    ada = InputGitAuthor("Ada", "ada@example.com", "2024-01-01T00:00:00Z")
    made = repo.create_git_commit("built with PyGithub", tree, [head], author=ada)
    assert made.author.name == "Ada" and made.parents[0].sha == head.sha
    ref = repo.create_git_ref("refs/heads/pyg", made.sha)
    assert ref.object.sha == made.sha

    whole = repo.get_git_tree("pyg", recursive=True)
    assert {e.path for e in whole.tree} == {"README.md", "inline.txt", "lib", "lib/py.txt"}
    assert repo.get_contents("lib/py.txt", ref="pyg").decoded_content == b"made by PyGithub\n"

    cmp = repo.compare("main", "pyg")
    assert (cmp.status, cmp.ahead_by, cmp.behind_by) == ("ahead", 1, 0)
    assert [c.sha for c in cmp.commits] == [made.sha]
    assert sorted(f.filename for f in cmp.files) == ["inline.txt", "lib/py.txt"]
    one = repo.get_commit(made.sha)
    assert one.stats.additions == 2 and {f.filename for f in one.files} == {"inline.txt", "lib/py.txt"}
    assert [c.sha for c in repo.get_commits(sha="pyg")][:2] == [made.sha, head.sha]
    assert repo.get_branch("pyg").commit.sha == made.sha

    main.edit(made.sha)  # a fast-forward
    with pytest.raises(GithubException) as not_ff:
        main.edit(head.sha)
    assert not_ff.value.status == 422 and not_ff.value.data["message"] == "Update is not a fast forward"
    main.edit(head.sha, force=True)

    tag = repo.create_git_tag(
        "v1.0", "first\n", made.sha, "commit", tagger=InputGitAuthor("T", "t@example.com", "2024-02-02T00:00:00Z")
    )
    repo.create_git_ref("refs/tags/v1.0", tag.sha)
    assert repo.get_git_tag(tag.sha).tag == "v1.0"
    assert [r.ref for r in repo.get_git_matching_refs("tags/")] == ["refs/tags/v1.0"]
    repo.get_git_ref("heads/pyg").delete()
    assert "pyg" not in {b.name for b in repo.get_branches()}

    git = Git(tmp_path)
    git("clone", "-q", url(server, repo.full_name), str(tmp_path / "c"))
    assert git.out("log", "-1", "--format=%an %s", "v1.0", cwd=tmp_path / "c") == "Ada built with PyGithub"
