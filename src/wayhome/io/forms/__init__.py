"""ICS forms filled from the live incident record, and the Incident Action Plan packet.

One module per form family (:mod:`~wayhome.io.forms.briefing` ICS 201,
:mod:`~wayhome.io.forms.objectives` 202, :mod:`~wayhome.io.forms.assignments` 204,
:mod:`~wayhome.io.forms.comms` 205, :mod:`~wayhome.io.forms.medical` 206,
:mod:`~wayhome.io.forms.check_in` 211, :mod:`~wayhome.io.forms.activity` 214), their
maps (:mod:`~wayhome.io.forms.maps`), the data they print
(:func:`~wayhome.io.forms.record.forms_record`), the comms/medical plan the store does not
hold (:mod:`~wayhome.io.forms.comms_plan`) and the packet
(:mod:`~wayhome.io.forms.packet`). Block numbers and titles follow the FEMA ICS forms.
"""

from __future__ import annotations

from wayhome.io.forms.comms_plan import CommsMedicalPlan, comms_plan_from_dict, read_comms_plan
from wayhome.io.forms.packet import FORMS, IAP_ORDER, form_pdf, iap_pdf, parse_forms, write_forms
from wayhome.io.forms.record import FormsRecord, forms_record

__all__ = [
    "FORMS",
    "IAP_ORDER",
    "CommsMedicalPlan",
    "FormsRecord",
    "comms_plan_from_dict",
    "form_pdf",
    "forms_record",
    "iap_pdf",
    "parse_forms",
    "read_comms_plan",
    "write_forms",
]
