from sqlalchemy import func, select

from sunshine import create_app
from sunshine.demo.services import build_demo
from sunshine.extensions import db
from sunshine.regions.models import Region
from tests.apps import make_config


def _synthetic_names(tmp_path, name: str, seed: int) -> list[str]:
    """Town and village names, after checking there are 3 towns of 4 villages a county."""
    app = create_app(make_config(tmp_path / name, f"sqlite:///{tmp_path / name}.sqlite"))
    with app.app_context():
        db.create_all()
        build_demo(households=10, seed=seed, password="demo-password-123")
        names = [r.name for r in db.session.execute(
            select(Region).where(Region.synthetic.is_(True)).order_by(Region.code)).scalars()]
        counties = db.session.scalar(select(func.count()).select_from(Region).where(
            Region.level == 3))
        assert len(names) == counties * 15
        db.session.remove()
        db.engine.dispose()
    return names


def test_same_seed_same_demo_and_another_seed_differs(tmp_path) -> None:
    first = _synthetic_names(tmp_path, "a", 3)
    assert first == _synthetic_names(tmp_path, "b", 3)
    assert first != _synthetic_names(tmp_path, "c", 4)
