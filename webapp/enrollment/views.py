from ..models import Role
from ..security import role_required
from . import bp


@bp.get("")
@role_required(Role.COORDINATOR)
def home():
    return "enrollment"
