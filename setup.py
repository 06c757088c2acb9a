"""Packaging for fbr_nb: everything is read from settings.ini (nbdev 2 layout)."""
from configparser import ConfigParser
from pathlib import Path
import setuptools

assert setuptools.__version__ >= "36.2", "setuptools>=36.2 is needed"
here = Path(__file__).parent
config = ConfigParser(delimiters=["="])
config.read(here / "settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

expected = "version description keywords author author_email license status min_python audience language".split()
missing = [k for k in expected if k not in cfg]
if missing: raise SystemExit(f"settings.ini is missing: {', '.join(missing)}")

licenses = {"apache2": ("Apache Software License 2.0", "OSI Approved :: Apache Software License")}
statuses = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta", "5 - Production/Stable", "6 - Mature", "7 - Inactive"]
py_versions = "3.9 3.10 3.11 3.12 3.13".split()
lic = licenses[cfg["license"].lower()]
min_python = cfg["min_python"]
requirements = cfg.get("requirements", "").split() + cfg.get("pip_requirements", "").split()
# extras: every `<name>_requirements` key of settings.ini (but nbdev's pip_/conda_requirements) is `fbr_nb[<name>]`;
# `all` is every extra but `dev`
extras = {k[: -len("_requirements")]: v.split() for k, v in cfg.items()
          if k.endswith("_requirements") and k not in ("pip_requirements", "conda_requirements")}
extras["all"] = list(dict.fromkeys(r for name, reqs in extras.items() if name != "dev" for r in reqs))
scripts = [s.strip() for s in cfg.get("console_scripts", "").splitlines() if s.strip()]

setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    license=lic[0],
    classifiers=["Development Status :: " + statuses[int(cfg["status"])],
                 "Intended Audience :: " + cfg["audience"].title(),
                 "Natural Language :: " + cfg["language"].title(),
                 "License :: " + lic[1]]
                + ["Programming Language :: Python :: " + v for v in py_versions[py_versions.index(min_python):]],
    url=cfg["git_url"],
    packages=setuptools.find_packages(include=[cfg["lib_path"], cfg["lib_path"] + ".*"]),
    include_package_data=True,
    install_requires=requirements,
    extras_require=extras,
    python_requires=">=" + min_python,
    long_description=(here / "README.md").read_text(encoding="utf-8") if (here / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    zip_safe=False,
    entry_points={"console_scripts": scripts, "nbdev": [f'{cfg["lib_path"]}={cfg["lib_path"]}._modidx:d']},
    description=cfg["description"],
    author=cfg["author"],
    author_email=cfg["author_email"],
    keywords=cfg["keywords"],
)
