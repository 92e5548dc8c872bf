"""The records' storage: models, repositories, the unit of work, migrations, backups.

Imports nothing from services or the command line (the dependency direction, DESIGN.md).
"""

from microneedling.store import billing_models as billing_models
from microneedling.store import message_models as message_models
from microneedling.store import portal_models as portal_models
from microneedling.store import portal_records_models as portal_records_models
from microneedling.store import scheduling_models as scheduling_models
from microneedling.store import staff_invitation_models as staff_invitation_models
from microneedling.store.database import Database
from microneedling.store.files import PhotoFiles
from microneedling.store.unit_of_work import UnitOfWork

__all__ = ["Database", "PhotoFiles", "UnitOfWork"]
