"""The screening questionnaire in a patient's words: one question per finding of the knowledge
base, and the thing it is about as a patient would name it (for "because of your ...").

Every finding a patient can be asked about has a question here (a test checks it against the
knowledge base); its follow-ups come from the knowledge base (where on the body for a local
finding, when for a dated one, when it was stopped for a medicine). The strings go through the
portal's catalogue where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from microneedling.knowledge import KnowledgeBase

#: code: (the question, the thing in a patient's words).
QUESTIONS: dict[str, tuple[str, str]] = {
    # Skin and health.
    "skin_cancer_active": ("Do you have skin cancer now, or a spot being checked for it?", "skin cancer"),
    "skin_cancer_history": ("Have you ever had skin cancer?", "past skin cancer"),
    "acne_active": ("Do you have spots or acne breaking out at the moment?", "acne breakout"),
    "skin_infection_active": ("Do you have a skin infection now (for example impetigo, a fungal rash or warts)?", "skin infection"),
    "herpes_labialis_active": ("Do you have a cold sore right now?", "cold sore"),
    "herpes_labialis_history": ("Have you ever had cold sores?", "cold sores"),
    "open_wound": ("Do you have a cut, graze or open wound on the skin to be treated?", "open wound"),
    "eczema_active": ("Is your eczema flaring at the moment?", "eczema"),
    "psoriasis_active": ("Is your psoriasis flaring at the moment?", "psoriasis"),
    "koebner_disease_stable": ("Do you have vitiligo, psoriasis or lichen planus, even if it is calm now?", "skin condition (vitiligo, psoriasis or lichen planus)"),
    "keloid_tendency": ("Do your scars tend to grow into thick, raised lumps (keloids)?", "tendency to keloid scars"),
    "collagen_vascular_disease": ("Do you have scleroderma, lupus or a similar connective tissue disease?", "connective tissue disease"),
    "immunosuppression": ("Is your immune system weakened (for example by chemotherapy, transplant medicines or high-dose steroid tablets)?", "weakened immune system"),
    "bleeding_disorder": ("Do you have a bleeding disorder, or do you bruise or bleed very easily?", "bleeding disorder"),
    "diabetes_uncontrolled": ("Do you have diabetes that is not well controlled at the moment?", "diabetes"),
    "diabetes_controlled": ("Do you have diabetes that is well controlled?", "diabetes"),
    "pregnancy": ("Are you pregnant, or could you be?", "pregnancy"),
    "breastfeeding": ("Are you breastfeeding?", "breastfeeding"),
    "sensitive_skin": ("Would you say your skin is sensitive (it reacts easily to products)?", "sensitive skin"),
    "sunburn": ("Do you have sunburn on the skin to be treated, or have you had it recently?", "sunburn"),
    "vitiligo_active": ("Have you had new or spreading pale patches (vitiligo) in the last 12 months?", "vitiligo"),
    "lichen_planus_active": ("Is lichen planus active for you at the moment?", "lichen planus"),
    "rosacea_active": ("Is your rosacea flaring, or do you have rosacea spots at the moment?", "rosacea"),
    "pigmented_lesion_unassessed": ("Do you have a mole or dark spot on the area that is raised, changing or has not been checked by a doctor?", "mole that needs checking"),
    "tattoo": ("Do you have a tattoo or permanent make-up on the area?", "tattoo or permanent make-up"),
    "hypertrophic_scar_history": ("Have you had scars that became thick and raised?", "raised scars"),
    "pih_history": ("Have you had dark patches on the skin after spots, injuries or earlier treatments?", "dark patches after earlier skin problems"),
    "bloodborne_infection": ("Do you have HIV, hepatitis B or hepatitis C?", "blood-borne infection"),
    "methemoglobinemia": ("Have you or your family ever been told about methaemoglobinaemia (a blood condition)?", "methaemoglobinaemia"),
    "liver_disease_severe": ("Do you have serious liver disease?", "liver disease"),
    # Medicines and skin products.
    "isotretinoin": ("Have you taken isotretinoin (Roaccutane, Accutane) tablets in the last 12 months?", "isotretinoin (Roaccutane)"),
    "topical_retinoid": ("Do you use a retinoid cream or serum (retinol, tretinoin, adapalene)?", "retinoid"),
    "topical_exfoliant": ("Do you use exfoliating acids or scrubs (AHA, BHA, glycolic or salicylic acid)?", "exfoliating products"),
    "anticoagulant": ("Do you take blood thinners (for example warfarin, apixaban, rivaroxaban, clopidogrel or aspirin)?", "blood thinners"),
    "antiarrhythmic": ("Do you take a heart rhythm medicine such as amiodarone?", "heart rhythm medicine"),
    "photosensitising_drug": ("Do you take a medicine that makes your skin sensitive to the sun (for example doxycycline, some water tablets, St John's wort)?", "medicine that makes the skin sun-sensitive"),
    # Recent treatments.
    "botulinum_toxin": ("Have you had anti-wrinkle injections (Botox) recently?", "anti-wrinkle injections"),
    "dermal_filler": ("Have you had filler injections?", "filler injections"),
    "chemical_peel": ("Have you had a chemical peel recently?", "chemical peel"),
    "facial_surgery": ("Have you had surgery on your face?", "facial surgery"),
    "radiotherapy": ("Have you had radiotherapy on the area?", "radiotherapy"),
    "laser_or_light": ("Have you had laser or light (IPL) treatment recently?", "laser or light treatment"),
    "ablative_resurfacing": ("Have you had a deep peel, dermabrasion or an ablative laser treatment?", "resurfacing treatment"),
    "tanning": ("Have you used a sunbed, sunbathed to tan, or used self-tanner recently?", "tan"),
    "hair_removal": ("Have you waxed, threaded or used hair removal cream on the area recently?", "hair removal"),
    "permanent_implant": ("Do you have a permanent filler, threads or a silicone implant in the area?", "permanent implant"),
    # Allergies.
    "stainless_steel": ("Are you allergic to stainless steel?", "stainless steel allergy"),
    "topical_anesthetic": ("Are you allergic to numbing creams (lidocaine or similar)?", "allergy to numbing cream"),
    "nickel_allergy": ("Are you allergic to nickel (for example a rash from jewellery or buttons)?", "nickel allergy"),
}  # fmt: skip

#: The questionnaire's sections: the knowledge base's list, its heading in a patient's words.
SECTIONS = (
    ("conditions", "condition", "Your skin and health"),
    ("medications", "medication", "Medicines and skin products"),
    ("procedures", "procedure", "Recent treatments"),
    ("allergies", "allergy", "Allergies"),
)


@dataclass(frozen=True)
class PlainQuestion:
    """One question, and which follow-ups it has."""

    code: str
    text: str
    thing: str
    list_name: str
    #: Ask where on the body (a local finding).
    where: bool
    #: Ask when it happened (a dated finding).
    when: bool
    #: Ask when it was stopped (a medicine).
    stopped: bool


@cache
def plain_questions(base: KnowledgeBase) -> dict[str, list[PlainQuestion]]:
    """The questions by section, in the knowledge base's order (a finding without a question
    here is asked by its own label)."""
    kinds = {kind: name for name, kind, _ in SECTIONS}
    found: dict[str, list[PlainQuestion]] = {name: [] for name, _, _ in SECTIONS}
    for code, finding in base.findings.items():
        if finding.kind not in kinds:
            continue
        text, thing = QUESTIONS.get(code, (f"{finding.label}?", finding.label.lower()))
        found[kinds[finding.kind]].append(
            PlainQuestion(
                code=code,
                text=text,
                thing=thing,
                list_name=kinds[finding.kind],
                where=finding.scope == "local",
                when=finding.dated == "on",
                stopped=finding.kind == "medication",
            )
        )
    return found


def thing_of(base: KnowledgeBase, code: str) -> str:
    """What a finding is about, in a patient's words."""
    if code in QUESTIONS:
        return QUESTIONS[code][1]
    finding = base.findings.get(code)
    return finding.label.lower() if finding is not None else "answers"


#: The body's areas in a patient's words (the knowledge base's zones).
ZONE_WORDS: dict[str, str] = {
    "forehead": "Forehead",
    "glabella": "Between the eyebrows",
    "periorbital": "Around the eyes",
    "nose": "Nose",
    "cheeks": "Cheeks",
    "perioral": "Around the mouth",
    "chin": "Chin",
    "jawline": "Jawline",
    "neck": "Neck",
    "decolletage": "Chest (neckline)",
    "scalp": "Scalp",
    "hands": "Backs of the hands",
    "arms": "Arms",
    "abdomen": "Tummy",
    "back": "Back",
    "buttocks": "Buttocks",
    "thighs": "Thighs",
}


def zone_words(base: KnowledgeBase, code: str) -> str:
    zone = base.zones.get(code)
    return ZONE_WORDS.get(code, zone.label if zone is not None else code)


def zone_groups(base: KnowledgeBase) -> list[tuple[str, list[tuple[str, str]]]]:
    """The areas in groups for checkboxes: face, then body (with neck, chest and scalp)."""
    face = [code for code in base.group_members.get("face", [])]
    rest = [code for code in base.zones if code not in face]
    return [
        ("Face", [(code, zone_words(base, code)) for code in face]),
        ("Neck and body", [(code, zone_words(base, code)) for code in rest]),
    ]
