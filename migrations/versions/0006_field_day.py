"""the field day: BLK interest, discards on phones, search by phone

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blk_training', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('blk_job_fair', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('blk_trade', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_registrations_phone', ['phone'], unique=False)
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discarded_count', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('discarded_count')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_phone')
        batch_op.drop_column('blk_trade')
        batch_op.drop_column('blk_job_fair')
        batch_op.drop_column('blk_training')
