"""The project's own wiring: dependency lists agree, profiles match the notebooks, docs say how to run."""

from __future__ import annotations

import tomllib
import yaml

from recsys_tutorial.book import chapters, load_profile, notebook_parameters


def test_environment_yml_lists_the_pyproject_dependencies(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for extra in ("book", "test"):
        wanted |= set(project["optional-dependencies"][extra])
    env = yaml.safe_load((root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {line for line in pip_section if not line.startswith("-e")}
    assert listed == wanted
    assert "python=3.11" in env["dependencies"]


def test_runtime_dependencies_have_lower_bounds_only(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        assert ">=" in requirement and "==" not in requirement and "<" not in requirement.replace("<=", ""), requirement
    assert "jupyter-book==1.0.4.post1" in project["optional-dependencies"]["book"]


def test_every_profile_sets_exactly_the_notebook_parameters(root):
    names = set()
    for chapter in chapters(root):
        names |= set(notebook_parameters(root / f"{chapter}.py"))
    for profile in ("ci", "default", "electronics", "books"):
        assert set(load_profile(profile, root)) == names, profile


def test_defaults_are_the_default_profile_and_mocks_the_ci_profile(root):
    import jupytext

    default, ci = load_profile("default", root), load_profile("ci", root)
    for chapter in chapters(root):
        source = root / f"{chapter}.py"
        params = notebook_parameters(source)
        assert params == {k: default[k] for k in params}, f"{chapter}: parameters cell differs from default.yaml"
        cell = next(c for c in jupytext.read(source).cells if "parameters" in c.metadata.get("tags", []))
        mocked = {**params, **cell.metadata.get("nbmake", {}).get("mock", {})}
        assert mocked == {k: ci[k] for k in params}, f"{chapter}: nbmake mock + defaults differ from ci.yaml"


def test_toc_chapters_exist(root):
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    for f in files:
        assert (root / f"{f}.py").exists() or (root / f"{f}.md").exists(), f
    assert chapters(root) == ["book/part1_matrix_factorization", "book/part2_graph_nlp", "book/results",
                             "book/scaling", "book/data"]


def test_readme_gives_the_two_commands_and_ci_calls_make_test(root):
    readme = (root / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make book" in quick and "make test" in quick
    ci = (root / ".ci" / "run").read_text()
    assert "make test" in ci and "torch==2.13.0" in ci


def test_github_workflows_run_the_tests_and_publish_the_book(root):
    def steps(name: str) -> list[dict]:
        workflow = yaml.safe_load((root / ".github" / "workflows" / name).read_text())
        assert workflow.get("on", workflow.get(True)), f"{name}: no trigger"  # YAML 1.1 reads `on` as True
        return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]

    ci = steps("ci.yml")
    assert any(step.get("run") == "bash .ci/run" for step in ci)
    book = steps("book.yml")
    assert any("make book" in step.get("run", "") for step in book)
    uploads = [s for s in book if str(s.get("uses", "")).startswith("actions/upload-pages-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages") for s in book)
