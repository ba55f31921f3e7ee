"""the income_unusual flag

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 16:30:00

"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD = "'possible_duplicate', 'nik_outside_semarang', 'nik_birth_mismatch', 'age_out_of_range'"
NEW = OLD + ", 'income_unusual'"


def _allow(flags: str) -> None:
    with op.batch_alter_table('registration_flags', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_registration_flags_flag'), type_='check')
        batch_op.create_check_constraint('flag', f"flag IN ({flags})")


def upgrade():
    _allow(NEW)


def downgrade():
    op.execute("DELETE FROM registration_flags WHERE flag = 'income_unusual'")
    _allow(OLD)
