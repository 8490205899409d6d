"""The world a module's tests share (tests/conftest.py: ``module_world``): made once, each test
with its own copy of the objects, and what a test writes undone before the next one."""

import pytest

from casualties.history import change_context
from casualties.models import Party

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("turn", [1, 2, 3])
def test_each_test_finds_the_world_as_it_was_made(world, module_world, turn):
    assert Party.objects.get(pk=world.alpha.pk).name == "Alpha"
    assert Party.objects.filter(pk=world.neutral.pk).exists()
    assert world.alpha.name == "Alpha" and world.alpha_army.parent.name == "Alpha"
    # The module's world, made once (every test here asks for it), in a copy of the test's own.
    assert module_world is not None and world.conflict.pk == module_world.conflict.pk
    assert world.alpha is not module_world.alpha
    # What this test changes, in the database and in its copy, the next one must not see.
    world.alpha.name = f"Renamed {turn}"
    world.alpha_army.parent.name = f"Renamed {turn}"
    with change_context(user=None, reason="a test's own change"):
        world.alpha.save()
        Party.objects.filter(pk=world.neutral.pk).delete()
    assert Party.objects.get(pk=world.alpha.pk).name == f"Renamed {turn}"
