"""the seeds' other ledgers: village scores (花街擂台), key projects with their villages and
milestones (作战图), first petitions (初信初访), mediated disputes; hazards' mass-incident flag

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:02:41.118305

Stability risks (涉稳风险隐患) are hazards of category 涉稳; the flag marks those that could become
a mass incident (容易引起群体性事件). Their 包案领导 is the hazard's responsible person. The column
is added with ALTER TABLE on both engines: SQLite's batch mode would copy the table and lose the
summary triggers of 0003 and 0004. None of these tables has a summary: at a town's size the
records, through the indexes below, answer the whole area's figures quickly. A frozen copy: a
migration never imports the models.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('hazards',
                  sa.Column('mass_incident_risk', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('village_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('track', sa.String(length=8), nullable=False),
    sa.Column('assessor', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'],
                            name=op.f('fk_village_scores_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_village_scores')),
    sa.UniqueConstraint('source_id', name=op.f('uq_village_scores_source_id'))
    )
    op.create_index(op.f('ix_village_scores_month_village_id'), 'village_scores', ['month', 'village_id'])

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('leader', sa.String(length=64), nullable=True),
    sa.Column('unit', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('source_id', name=op.f('uq_projects_source_id'))
    )
    op.create_table('project_villages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('responsible_person', sa.String(length=64), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_project_villages_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'],
                            name=op.f('fk_project_villages_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_villages')),
    sa.UniqueConstraint('source_id', name=op.f('uq_project_villages_source_id'))
    )
    op.create_index(op.f('ix_project_villages_project_id'), 'project_villages', ['project_id'])
    op.create_index(op.f('ix_project_villages_village_id'), 'project_villages', ['village_id'])
    op.create_table('project_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=200), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('done_at', sa.Date(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_project_milestones_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_milestones')),
    sa.UniqueConstraint('source_id', name=op.f('uq_project_milestones_source_id'))
    )
    op.create_index(op.f('ix_project_milestones_project_id_deadline'), 'project_milestones',
                    ['project_id', 'deadline'])

    op.create_table('petitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('form', sa.String(length=8), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('petitioner', sa.String(length=64), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('contact_leader', sa.String(length=64), nullable=True),
    sa.Column('village_cadre', sa.String(length=64), nullable=True),
    sa.Column('village_official', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_petitions_village_id_villages')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_petitions_grid_id_grids')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_petitions')),
    sa.UniqueConstraint('source_id', name=op.f('uq_petitions_source_id'))
    )
    op.create_index(op.f('ix_petitions_village_id_received_at'), 'petitions', ['village_id', 'received_at'])
    op.create_index(op.f('ix_petitions_received_at'), 'petitions', ['received_at'])
    op.create_index(op.f('ix_petitions_grid_id'), 'petitions', ['grid_id'])

    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('amount_yuan', sa.Integer(), nullable=True),
    sa.Column('alert_pushed', sa.Boolean(), nullable=False),
    sa.Column('alert_source_id', sa.String(length=64), nullable=True),
    sa.Column('mediator', sa.String(length=64), nullable=True),
    sa.Column('mediated_at', sa.DateTime(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_disputes_village_id_villages')),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_disputes_grid_id_grids')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
    sa.UniqueConstraint('source_id', name=op.f('uq_disputes_source_id'))
    )
    op.create_index(op.f('ix_disputes_village_id_mediated_at'), 'disputes', ['village_id', 'mediated_at'])
    op.create_index(op.f('ix_disputes_mediated_at'), 'disputes', ['mediated_at'])
    op.create_index(op.f('ix_disputes_grid_id'), 'disputes', ['grid_id'])


def downgrade() -> None:
    for table in ('disputes', 'petitions', 'project_milestones', 'project_villages', 'projects',
                  'village_scores'):
        op.drop_table(table)  # its indexes go with it
    op.drop_column('hazards', 'mass_incident_risk')  # SQLite ≥ 3.35 drops a column in place
