"""release builds: the claim row of each wave's release build, and who asked to be told when
it ends (survey/models/jobs.py)

A revision of its own rather than a rewrite of 0001, so that it merges cleanly with
schema work on other branches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 12:34:38.792973
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('release_builds',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('rebuild', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=120), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by'], ['staff_users.id'], name=op.f('fk_release_builds_requested_by_staff_users')),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_release_builds_wave_id_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wave_id', name=op.f('pk_release_builds'))
    )
    op.create_table('release_watchers',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_release_watchers_staff_id_staff_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_release_watchers_wave_id_waves'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wave_id', 'staff_id', name=op.f('pk_release_watchers'))
    )


def downgrade() -> None:
    op.drop_table('release_watchers')
    op.drop_table('release_builds')
