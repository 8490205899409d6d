from django import template

from claims.desk import desk_for, recent_changes

register = template.Library()


@register.simple_tag(takes_context=True)
def editors_desk(context):
    """``{% editors_desk as desk %}``: what waits for the signed-in user (claims/desk.py)."""
    return desk_for(context["request"].user)


@register.simple_tag(takes_context=True)
def changed_recently(context):
    """``{% changed_recently as recent %}``: the latest history rows, for those who may see them."""
    user = context["request"].user
    return recent_changes() if user.has_perm("claims.view_claim") else []
